import { startSandboxSigstore } from '@phpublish/sandbox';
import {
  type AttestFixture,
  GITHUB_REPOSITORY,
  PACKAGE,
  SUBJECTS,
  startAttestFixture,
  TAG,
  VERSION,
  ZIP_SHA256,
} from '@phpublish/testing/attest';
import { codeOf } from '@phpublish/testing/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestRelease } from './attest-release.js';
import { gitHubActionsPolicy } from './identity-policy.js';
import { preflightAttestation } from './preflight.js';
import { verifyAttestation } from './verify.js';

const startGitHubInstance = (issuer: string) =>
  startSandboxSigstore({
    instance: 'github',
    issuers: [{ issuer, provider: 'github-workflow', serverUrl: 'https://github.com' }],
  });

let fixture: AttestFixture;
let githubInstance: Awaited<ReturnType<typeof startGitHubInstance>>;
beforeAll(async () => {
  fixture = await startAttestFixture();
  githubInstance = await startGitHubInstance(fixture.sandbox.githubIssuer.issuer);
});
afterAll(async () => {
  await githubInstance.close();
  await fixture.close();
});

const release = { packageName: PACKAGE, version: VERSION, tag: TAG };

describe('attestRelease', () => {
  describe('when a private repository’s release job attests', () => {
    it('signs with GitHub’s instance, stores the bundle, and nothing reaches the public log', async () => {
      const run = fixture.gitHubRun({ visibility: 'private' });
      const config = {
        ...run.config,
        githubFulcioUrl: githubInstance.fulcioUrl,
        githubTsaUrl: githubInstance.tsaUrl,
      };
      const rekorBefore = fixture.sandbox.sigstore.requests.rekor.length;
      expect(await preflightAttestation(config, run.deps)).toEqual([]);
      const result = await attestRelease(config, { release, subjects: SUBJECTS }, run.deps);
      expect(result.stored.map((s) => s.state)).toEqual(['stored', 'stored']);
      expect(fixture.sandbox.sigstore.requests.rekor).toHaveLength(rekorBefore);
      expect(githubInstance.requests.fulcio.length).toBeGreaterThan(0);
      expect(run.deps.lines.join('\n')).toContain('with the github Sigstore instance');

      const verify = (trustedRoot: Record<string, unknown>) =>
        codeOf(
          verifyAttestation({
            bundle: result.bundle,
            trustedRoot,
            policy: gitHubActionsPolicy({
              repository: GITHUB_REPOSITORY,
              workflow: '.github/workflows/release.yml',
              ref: `refs/tags/${TAG}`,
              issuer: fixture.sandbox.githubIssuer.issuer,
            }),
            subjects: { zip: { name: 'acme-hello-1.0.0.zip', sha256: ZIP_SHA256 } },
          }),
        );
      expect(await verify(githubInstance.trustedRoot)).toBe('resolved');
      expect(await verify(fixture.sandbox.sigstore.trustedRoot)).toBe('ATTEST_TLOG_INVALID');
    });
  });

  describe('when a private GitLab project’s release job attests', () => {
    it('is stopped at preflight, and before signing', async () => {
      const run = fixture.gitLabRun({ visibility: 'private' });
      const fulcioBefore = fixture.sandbox.sigstore.requests.fulcio.length;
      expect((await preflightAttestation(run.config, run.deps)).map((p) => p.code)).toContain(
        'ATTEST_PRIVATE_NO_INSTANCE',
      );
      expect(await codeOf(attestRelease(run.config, { release, subjects: SUBJECTS }, run.deps))).toBe(
        'ATTEST_PRIVATE_NO_INSTANCE',
      );
      expect(fixture.sandbox.sigstore.requests.fulcio).toHaveLength(fulcioBefore);
    });
  });
});
