import { describe, expect, it } from 'vitest';
import { type ErrorCode, isPhpublishError } from '../errors/index.js';
import type { SignerIdentity } from './certificate-identity.js';
import { checkIdentity, GITHUB_ACTIONS_ISSUER, gitHubActionsPolicy, gitLabCiPolicy } from './identity-policy.js';

const COMMIT = 'a1'.repeat(20);

function gitHubSigner(san: string, ref: string | undefined, repository = 'acme/hello'): SignerIdentity {
  return {
    subjectAlternativeName: san,
    issuer: GITHUB_ACTIONS_ISSUER,
    sourceRepositoryUri: `https://github.com/${repository}`,
    sourceRepositoryDigest: COMMIT,
    ...(ref ? { sourceRepositoryRef: ref } : {}),
  };
}

function codeOf(signer: SignerIdentity, policy: Parameters<typeof checkIdentity>[1]): ErrorCode | 'accepted' {
  try {
    checkIdentity(signer, policy);
    return 'accepted';
  } catch (error) {
    if (isPhpublishError(error)) return error.code;
    throw error;
  }
}

const release = gitHubActionsPolicy({ repository: 'acme/hello', workflow: '.github/workflows/release.yml' });
const RELEASE_SAN = 'https://github.com/acme/hello/.github/workflows/release.yml';

describe('checkIdentity', () => {
  describe('when the workflow file name holds an @', () => {
    it('does not read release.yml@evil.yml as release.yml, with or without a pinned ref', () => {
      const evil = gitHubSigner(`${RELEASE_SAN}@evil.yml@refs/heads/main`, 'refs/heads/main');
      expect(codeOf(evil, release)).toBe('ATTEST_WORKFLOW_MISMATCH');
      expect(codeOf(evil, { ...release, refs: ['refs/heads/main'] })).toBe('ATTEST_WORKFLOW_MISMATCH');
      // A ref that itself holds an @ is still compared whole.
      const scoped = gitHubSigner(`${RELEASE_SAN}@refs/tags/@acme/hello@1.0.0`, 'refs/tags/@acme/hello@1.0.0');
      expect(codeOf(scoped, release)).toBe('accepted');
    });

    it('does the same for GitLab (.gitlab-ci.yml@evil.yml)', () => {
      const policy = gitLabCiPolicy({ project: 'acme/hello' });
      const signer = (san: string): SignerIdentity => ({
        subjectAlternativeName: san,
        issuer: 'https://gitlab.com',
        sourceRepositoryUri: 'https://gitlab.com/acme/hello',
        sourceRepositoryRef: 'refs/heads/main',
      });
      expect(codeOf(signer('https://gitlab.com/acme/hello//.gitlab-ci.yml@refs/heads/main'), policy)).toBe('accepted');
      expect(codeOf(signer('https://gitlab.com/acme/hello//.gitlab-ci.yml@evil.yml@refs/heads/main'), policy)).toBe(
        'ATTEST_WORKFLOW_MISMATCH',
      );
    });
  });

  describe('when the SAN and the run’s ref disagree', () => {
    it('refuses a SAN whose ref is not the run’s own ref', () => {
      expect(codeOf(gitHubSigner(`${RELEASE_SAN}@refs/heads/main`, 'refs/tags/v1.0.0'), release)).toBe(
        'ATTEST_WORKFLOW_MISMATCH',
      );
    });

    it('refuses a certificate without the run’s ref rather than guessing where the workflow ends', () => {
      expect(codeOf(gitHubSigner(`${RELEASE_SAN}@refs/heads/main`, undefined), release)).toBe(
        'ATTEST_IDENTITY_MISMATCH',
      );
    });
  });

  describe('when the policy pins where the workflow may run', () => {
    const signer = gitHubSigner(`${RELEASE_SAN}@refs/heads/feature`, 'refs/heads/feature');
    it('accepts one of the named refs and refuses any other', () => {
      expect(codeOf(signer, release)).toBe('accepted');
      expect(codeOf(signer, { ...release, refs: ['refs/heads/main', 'refs/tags/v1.0.0'] })).toBe(
        'ATTEST_IDENTITY_MISMATCH',
      );
      expect(codeOf(signer, { ...release, refs: ['refs/heads/main', 'refs/heads/feature'] })).toBe('accepted');
      // Exactly, not as a prefix or pattern.
      expect(codeOf(signer, { ...release, refs: ['refs/heads/feat'] })).toBe('ATTEST_IDENTITY_MISMATCH');
    });
  });

  describe('when the release workflow is a reusable workflow in another repository', () => {
    const reusable = gitHubActionsPolicy({
      repository: 'acme/hello',
      workflow: '.github/workflows/php-release.yml',
      workflowRepository: 'acme/workflows',
      workflowRef: 'refs/tags/v2',
    });
    const san = (ref: string) => `https://github.com/acme/workflows/.github/workflows/php-release.yml@${ref}`;
    it('compares the whole SAN with the pinned workflow ref', () => {
      expect(codeOf(gitHubSigner(san('refs/tags/v2'), 'refs/tags/v1.0.0'), reusable)).toBe('accepted');
      expect(codeOf(gitHubSigner(san('refs/heads/evil'), 'refs/tags/v1.0.0'), reusable)).toBe(
        'ATTEST_WORKFLOW_MISMATCH',
      );
      const { workflowRef: _, ...unpinned } = reusable;
      expect(codeOf(gitHubSigner(san('refs/tags/v2'), 'refs/tags/v1.0.0'), unpinned)).toBe('ATTEST_WORKFLOW_MISMATCH');
    });
  });

  describe('when names differ in case', () => {
    it('ignores the case of server and repository, not of the workflow path or ref', () => {
      const upper = gitHubSigner(
        'https://GitHub.com/Acme/Hello/.github/workflows/release.yml@refs/heads/main',
        'refs/heads/main',
        'Acme/Hello',
      );
      expect(codeOf(upper, release)).toBe('accepted');
      const path = gitHubSigner(
        `https://github.com/acme/hello/.github/workflows/Release.yml@refs/heads/main`,
        'refs/heads/main',
      );
      expect(codeOf(path, release)).toBe('ATTEST_WORKFLOW_MISMATCH');
    });
  });
});
