import {
  AllOf,
  type SigstoreBundle as BrowserBundle,
  Identity,
  OIDCSourceRepositoryURI,
  SigstoreVerifier,
  type TrustedRoot,
} from '@freedomofpress/sigstore-browser';
import {
  type AttestFixture,
  GITHUB_REPOSITORY,
  GITLAB_PROJECT,
  PACKAGE,
  SUBJECTS,
  startAttestFixture,
  TAG,
  VERSION,
  ZIP_SHA256,
} from '@phpublish/testing/attest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestRelease } from './attest-release.js';

// A verifier that shares no code with sigstore-js (its own ASN.1, X.509, Merkle and DSSE code, on
// WebCrypto) must accept what phpublish produces, given nothing but the sandbox's trusted root.

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture();
});
afterAll(async () => {
  await fixture.close();
});

async function independentVerifier(): Promise<SigstoreVerifier> {
  const verifier = new SigstoreVerifier({ tlogThreshold: 1, ctlogThreshold: 1, tsaThreshold: 1 });
  await verifier.loadSigstoreRoot(fixture.sandbox.sigstore.trustedRoot as unknown as TrustedRoot);
  return verifier;
}

function subjectsOf(payload: Uint8Array): { name: string; digest: { sha256: string } }[] {
  return JSON.parse(Buffer.from(payload).toString('utf8')).subject;
}

const release = { packageName: PACKAGE, version: VERSION, tag: TAG };

describe('@freedomofpress/sigstore-browser', () => {
  describe('when given a GitHub Actions attestation made by phpublish', () => {
    it('verifies the chain, SCT, Rekor promise and proof, TSA timestamp and signature, and the identity', async () => {
      const run = fixture.gitHubRun();
      const { bundle } = await attestRelease(run.config, { release, subjects: SUBJECTS }, run.deps);
      const verifier = await independentVerifier();
      const identity = `https://github.com/${GITHUB_REPOSITORY}/.github/workflows/release.yml@refs/tags/${TAG}`;
      const { payloadType, payload } = await verifier.verifyDsse(
        bundle as unknown as BrowserBundle,
        new AllOf([
          new Identity({ identity, issuer: fixture.sandbox.githubIssuer.issuer }),
          new OIDCSourceRepositoryURI(`https://github.com/${GITHUB_REPOSITORY}`),
        ]),
      );
      expect(payloadType).toBe('application/vnd.in-toto+json');
      expect(subjectsOf(payload)[0]).toEqual({ name: 'acme-hello-1.0.0.zip', digest: { sha256: ZIP_SHA256 } });
    });

    it('rejects the same bundle for another identity', async () => {
      const run = fixture.gitHubRun();
      const { bundle } = await attestRelease(run.config, { release, subjects: SUBJECTS }, run.deps);
      const verifier = await independentVerifier();
      await expect(
        verifier.verifyDsse(
          bundle as unknown as BrowserBundle,
          new Identity({
            identity: `https://github.com/${GITHUB_REPOSITORY}/.github/workflows/ci.yml@refs/tags/${TAG}`,
            issuer: fixture.sandbox.githubIssuer.issuer,
          }),
        ),
      ).rejects.toThrow();
    });
  });

  describe('when given a GitLab CI attestation made by phpublish', () => {
    it('verifies it for the GitLab identity', async () => {
      const run = fixture.gitLabRun();
      const { bundle } = await attestRelease(run.config, { release, subjects: SUBJECTS }, run.deps);
      const verifier = await independentVerifier();
      const { payload } = await verifier.verifyDsse(
        bundle as unknown as BrowserBundle,
        new Identity({
          identity: `https://gitlab.com/${GITLAB_PROJECT}//.gitlab-ci.yml@refs/tags/${TAG}`,
          issuer: fixture.sandbox.gitlabIssuer.issuer,
        }),
      );
      const zip = subjectsOf(payload).find((s) => s.name.endsWith('.zip'));
      expect(zip?.digest.sha256).toBe(ZIP_SHA256);
    });
  });
});
