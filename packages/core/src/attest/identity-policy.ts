import { PhpublishError } from '../errors/index.js';
import type { SignerIdentity } from './certificate-identity.js';
import type { CiPlatform } from './ci.js';

/** GitHub Actions' OIDC issuer, the only one that vouches for github.com workflows. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/**
 * Who may have signed a release. Every field is compared whole, as a string (never as a pattern):
 * repository URLs ignore ASCII case, because GitHub and GitLab do; nothing else does.
 */
export interface IdentityPolicy {
  /** How the forge writes workflow identities (Fulcio's SAN templates differ). */
  platform: CiPlatform;
  /** The OIDC issuer, exactly: https://token.actions.githubusercontent.com, https://gitlab.com, … */
  issuer: string;
  /** The forge: https://github.com, https://gitlab.com, a GitHub Enterprise or GitLab host. */
  serverUrl: string;
  /** The source repository the build ran for: `owner/name` (GitLab: `group/…/project`). */
  repository: string;
  /** Path of the workflow file that signed: `.github/workflows/release.yml`, `.gitlab-ci.yml`. */
  workflow: string;
  /** The repository that holds `workflow`, when it is a reusable workflow elsewhere; `repository` by default. */
  workflowRepository?: string;
  /** The ref the signing run was for, e.g. `refs/tags/v1.2.0`; any ref when absent. */
  ref?: string;
}

export function gitHubActionsPolicy(input: {
  repository: string;
  workflow: string;
  ref?: string;
  workflowRepository?: string;
  serverUrl?: string;
  issuer?: string;
}): IdentityPolicy {
  return {
    platform: 'github-actions',
    issuer: input.issuer ?? GITHUB_ACTIONS_ISSUER,
    serverUrl: input.serverUrl ?? 'https://github.com',
    repository: input.repository,
    workflow: input.workflow,
    ...(input.workflowRepository ? { workflowRepository: input.workflowRepository } : {}),
    ...(input.ref ? { ref: input.ref } : {}),
  };
}

export function gitLabCiPolicy(input: {
  project: string;
  workflow?: string;
  ref?: string;
  serverUrl?: string;
  issuer?: string;
}): IdentityPolicy {
  const serverUrl = input.serverUrl ?? 'https://gitlab.com';
  return {
    platform: 'gitlab-ci',
    issuer: input.issuer ?? serverUrl,
    serverUrl,
    repository: input.project,
    workflow: input.workflow ?? '.gitlab-ci.yml',
    ...(input.ref ? { ref: input.ref } : {}),
  };
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * The SAN Fulcio writes for a workflow at a ref: GitHub `<server>/<repo>/<path>@<ref>`, GitLab
 * `https://<host>/<project>//<path>@<ref>`. Without the ref: the workflow's identity.
 */
export function workflowIdentity(policy: IdentityPolicy): string {
  const server = trimSlash(policy.serverUrl);
  const repository = policy.workflowRepository ?? policy.repository;
  return policy.platform === 'github-actions'
    ? `${server}/${repository}/${policy.workflow}`
    : `${server}/${repository}//${policy.workflow}`;
}

/**
 * Checks a verified signer against the policy, in this order: issuer, source repository, workflow,
 * ref. Each failure has its own code; nothing is matched by a pattern.
 */
export function checkIdentity(signer: SignerIdentity, policy: IdentityPolicy): void {
  if (signer.issuer !== policy.issuer) {
    throw new PhpublishError('ATTEST_ISSUER_MISMATCH', { expected: policy.issuer, actual: signer.issuer || '(none)' });
  }

  const expectedRepository = `${trimSlash(policy.serverUrl)}/${policy.repository}`;
  const actualRepository = signer.sourceRepositoryUri;
  if (actualRepository === undefined || actualRepository.toLowerCase() !== expectedRepository.toLowerCase()) {
    throw new PhpublishError('ATTEST_REPOSITORY_MISMATCH', {
      expected: expectedRepository,
      actual: actualRepository ?? '(the certificate names no source repository)',
    });
  }

  const san = signer.subjectAlternativeName;
  const expectedWorkflow = workflowIdentity(policy);
  const at = san.indexOf('@', trimSlash(policy.serverUrl).length + 1);
  if (!san.startsWith(`${trimSlash(policy.serverUrl)}/`) || at === -1) {
    // Not a workflow identity of this forge at all (a person, another forge).
    throw new PhpublishError('ATTEST_IDENTITY_MISMATCH', {
      expected: `${expectedWorkflow}@…`,
      actual: san || '(none)',
    });
  }
  const actualWorkflow = san.slice(0, at);
  const actualRef = san.slice(at + 1);
  const sameRepositoryPart = (a: string, b: string) => {
    // The repository part of the SAN is case-insensitive like the repository; the file path is not.
    const split = policy.platform === 'github-actions' ? splitGitHubWorkflow : splitGitLabWorkflow;
    const [aRepo, aPath] = split(a);
    const [bRepo, bPath] = split(b);
    return aRepo.toLowerCase() === bRepo.toLowerCase() && aPath === bPath;
  };
  if (!sameRepositoryPart(actualWorkflow, expectedWorkflow)) {
    throw new PhpublishError('ATTEST_WORKFLOW_MISMATCH', { expected: expectedWorkflow, actual: actualWorkflow });
  }
  if (policy.ref !== undefined && actualRef !== policy.ref) {
    throw new PhpublishError('ATTEST_IDENTITY_MISMATCH', {
      expected: `${expectedWorkflow}@${policy.ref}`,
      actual: san,
    });
  }
}

/** `https://github.com/o/r/.github/workflows/x.yml` → [`https://github.com/o/r`, `.github/workflows/x.yml`]. */
function splitGitHubWorkflow(identity: string): [string, string] {
  const marker = identity.indexOf('/.github/');
  return marker === -1 ? [identity, ''] : [identity.slice(0, marker), identity.slice(marker + 1)];
}

/** `https://gitlab.com/g/p//.gitlab-ci.yml` → [`https://gitlab.com/g/p`, `.gitlab-ci.yml`]. */
function splitGitLabWorkflow(identity: string): [string, string] {
  const marker = identity.indexOf('//', identity.indexOf('://') + 3);
  return marker === -1 ? [identity, ''] : [identity.slice(0, marker), identity.slice(marker + 2)];
}
