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
  /**
   * The refs the signing run may have been for (the certificate's Source Repository Ref), e.g.
   * `refs/tags/v1.2.0` or `refs/heads/main`; one match is enough. Any ref when absent or empty.
   */
  refs?: readonly string[];
  /**
   * The ref of `workflow` in `workflowRepository`, for a reusable workflow in another repository:
   * Fulcio writes that ref into the SAN, and no other certificate field holds it.
   */
  workflowRef?: string;
}

/** `ref` (one) or `refs` (any of them) as the policy's list; absent when neither is given. */
function refsOf(input: { ref?: string; refs?: readonly string[] }): { refs?: readonly string[] } {
  const refs = [...(input.ref ? [input.ref] : []), ...(input.refs ?? [])];
  return refs.length > 0 ? { refs } : {};
}

export function gitHubActionsPolicy(input: {
  repository: string;
  workflow: string;
  ref?: string;
  refs?: readonly string[];
  workflowRepository?: string;
  workflowRef?: string;
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
    ...(input.workflowRef ? { workflowRef: input.workflowRef } : {}),
    ...refsOf(input),
  };
}

export function gitLabCiPolicy(input: {
  project: string;
  workflow?: string;
  ref?: string;
  refs?: readonly string[];
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
    ...refsOf(input),
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

/** Whether the workflow is a reusable one in another repository than the source. */
function isReusable(policy: IdentityPolicy): boolean {
  return (
    policy.workflowRepository !== undefined &&
    policy.workflowRepository.toLowerCase() !== policy.repository.toLowerCase()
  );
}

/**
 * The whole SAN the policy expects, and how long its case-insensitive part (server and repository)
 * is. The workflow's ref is the run's own ref (the certificate's Source Repository Ref, a field of
 * its own), or the pinned ref of a reusable workflow in another repository. Built from the policy,
 * never by splitting the certificate's SAN: a workflow file named `release.yml@evil.yml` is not
 * `release.yml`.
 */
export function expectedSan(policy: IdentityPolicy, runRef: string): { san: string; caseInsensitive: number } {
  const server = trimSlash(policy.serverUrl);
  const repository = policy.workflowRepository ?? policy.repository;
  const workflowRef = isReusable(policy) ? (policy.workflowRef ?? '') : runRef;
  return { san: `${workflowIdentity(policy)}@${workflowRef}`, caseInsensitive: `${server}/${repository}`.length };
}

/** Two SANs are the same when equal to the letter, except the case of the server and repository part. */
function sameSan(actual: string, expected: { san: string; caseInsensitive: number }): boolean {
  const { san, caseInsensitive } = expected;
  return (
    actual.length === san.length &&
    actual.slice(0, caseInsensitive).toLowerCase() === san.slice(0, caseInsensitive).toLowerCase() &&
    actual.slice(caseInsensitive) === san.slice(caseInsensitive)
  );
}

/**
 * Checks a verified signer against the policy, in this order: issuer, source repository, workflow
 * (the whole SAN), ref. Each failure has its own code; every comparison is of whole strings built
 * from the policy and the certificate's separate fields, nothing is matched by a pattern or split.
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
  const runRef = signer.sourceRepositoryRef;
  if (!runRef) {
    // Without the run's ref nothing says where the workflow identity ends: refuse rather than guess.
    throw new PhpublishError('ATTEST_IDENTITY_MISMATCH', {
      expected: `${workflowIdentity(policy)}@<the run's ref>`,
      actual: `${san || '(no SAN)'} (the certificate names no source repository ref)`,
    });
  }
  const expected = expectedSan(policy, runRef);
  if (!sameSan(san, expected)) {
    if (!san.toLowerCase().startsWith(`${trimSlash(policy.serverUrl).toLowerCase()}/`)) {
      // Not a workflow identity of this forge at all (a person, another forge).
      throw new PhpublishError('ATTEST_IDENTITY_MISMATCH', { expected: expected.san, actual: san || '(none)' });
    }
    if (isReusable(policy) && !policy.workflowRef) {
      throw new PhpublishError('ATTEST_WORKFLOW_MISMATCH', {
        expected: `${workflowIdentity(policy)}@<a pinned workflowRef>`,
        actual: `${san} (the policy names no workflowRef for this reusable workflow)`,
      });
    }
    throw new PhpublishError('ATTEST_WORKFLOW_MISMATCH', { expected: expected.san, actual: san });
  }
  const refs = policy.refs ?? [];
  if (refs.length > 0 && !refs.includes(runRef)) {
    throw new PhpublishError('ATTEST_IDENTITY_MISMATCH', {
      expected: `${workflowIdentity(policy)} run for ${refs.join(' or ')}`,
      actual: `${san} run for ${runRef}`,
    });
  }
}
