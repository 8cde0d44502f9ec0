import {
  GITHUB_ACTIONS_ISSUER,
  gitHubActionsPolicy,
  gitLabCiPolicy,
  type IdentityPolicy,
  workflowIdentity,
} from '../attest/identity-policy.js';
import type { PolicyIdentity } from './policy-schema.js';

/** `{vendor}`, `{name}` and `{tag}` in a policy identity, for one package at one version. */
function substitute(text: string, packageName: string, tag: string): string {
  const [vendor = '', name = ''] = packageName.split('/');
  return text.replaceAll('{vendor}', vendor).replaceAll('{name}', name).replaceAll('{tag}', tag);
}

/** A policy identity as the exact identity policy attest/ verifies against. */
export function identityPolicyFor(identity: PolicyIdentity, packageName: string, tag: string): IdentityPolicy {
  const repository = substitute(identity.repository, packageName, tag);
  const given = identity.ref === undefined ? [] : typeof identity.ref === 'string' ? [identity.ref] : identity.ref;
  const refs = given.map((ref) => substitute(ref, packageName, tag));
  const workflowRepository =
    identity.workflowRepository === undefined ? undefined : substitute(identity.workflowRepository, packageName, tag);
  const workflowRef =
    identity.workflowRef === undefined ? undefined : substitute(identity.workflowRef, packageName, tag);
  if (identity.platform === 'gitlab-ci') {
    return gitLabCiPolicy({
      project: repository,
      workflow: identity.workflow,
      refs,
      ...(identity.serverUrl ? { serverUrl: identity.serverUrl } : {}),
      ...(identity.issuer ? { issuer: identity.issuer } : {}),
    });
  }
  return gitHubActionsPolicy({
    repository,
    workflow: identity.workflow,
    issuer: identity.issuer ?? GITHUB_ACTIONS_ISSUER,
    refs,
    ...(workflowRepository ? { workflowRepository } : {}),
    ...(workflowRef ? { workflowRef } : {}),
    ...(identity.serverUrl ? { serverUrl: identity.serverUrl } : {}),
  });
}

/** `https://github.com/acme/hello/.github/workflows/release.yml (run for refs/heads/main)`, for tables. */
export function describeIdentity(policy: IdentityPolicy): string {
  const refs = policy.refs ?? [];
  return `${workflowIdentity(policy)}${refs.length > 0 ? ` (run for ${refs.join(' or ')})` : ''}`;
}
