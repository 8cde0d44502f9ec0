import {
  type AttestFixture,
  CONTENT_DIGEST,
  GITHUB_REPOSITORY,
  GITLAB_PROJECT,
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
import { httpDeps } from './deps.js';
import { gitHubApiFor, gitLabApiFor } from './forges.js';
import { fetchGitHubAttestations, fetchReleaseAsset } from './github-store.js';
import { fetchGitLabReleaseLink } from './gitlab-store.js';
import { gitHubActionsPolicy, gitLabCiPolicy } from './identity-policy.js';
import { BUNDLE_V03_MEDIA_TYPE } from './sign.js';
import { releaseSubjects } from './subjects.js';
import { verifyAttestation } from './verify.js';

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture();
});
afterAll(async () => {
  await fixture.close();
});

const release = { packageName: PACKAGE, version: VERSION, tag: TAG };
const BUNDLE_NAME = 'acme-hello-1.0.0.sigstore.json';

describe('attestRelease', () => {
  describe('when a GitHub Actions release job attests', () => {
    it('signs, stores as a release asset and in the attestation store, and both copies verify', async () => {
      const run = fixture.gitHubRun();
      const result = await attestRelease(run.config, { release, subjects: SUBJECTS }, run.deps);

      expect(result.reused).toBe(false);
      expect(result.bundleFileName).toBe(BUNDLE_NAME);
      expect(result.bundle.mediaType).toBe(BUNDLE_V03_MEDIA_TYPE);
      expect(result.stored.map((s) => [s.target, s.state])).toEqual([
        ['github-release-asset', 'stored'],
        ['github-attestation-store', 'stored'],
      ]);
      // The token came from the job's token service, for the sigstore audience, with the bearer request token.
      const tokenRequest = fixture.sandbox.githubIssuer.requests.find((r) => r.url.includes('/idtoken'));
      expect(tokenRequest?.url).toMatch(/[?&]audience=sigstore(&|$)/);
      expect(tokenRequest?.headers['authorization']).toBe('<redacted>');

      const api = gitHubApiFor({
        env: run.env,
        config: run.config,
        token: run.env['GITHUB_TOKEN']!,
        http: httpDeps(run.deps, 5),
        redactor: run.deps.redactor,
      });
      const fromAsset = await fetchReleaseAsset(api, { tag: TAG, assetName: BUNDLE_NAME });
      const fromStore = await fetchGitHubAttestations(api, ZIP_SHA256);
      expect(fromStore).toHaveLength(1);

      const policy = gitHubActionsPolicy({
        repository: GITHUB_REPOSITORY,
        workflow: '.github/workflows/release.yml',
        ref: `refs/tags/${TAG}`,
        issuer: fixture.sandbox.githubIssuer.issuer,
      });
      for (const bundle of [fromAsset, fromStore[0]!]) {
        const verified = await verifyAttestation({
          bundle,
          trustedRoot: fixture.sandbox.sigstore.trustedRoot,
          policy,
          subjects: { zip: { name: 'acme-hello-1.0.0.zip', sha256: ZIP_SHA256 }, contentDigest: CONTENT_DIGEST },
          thresholds: { timestamp: 2 },
        });
        expect(verified.signer.subjectAlternativeName).toBe(
          `https://github.com/${GITHUB_REPOSITORY}/.github/workflows/release.yml@refs/tags/${TAG}`,
        );
        expect(verified.signer.sourceRepositoryUri).toBe(`https://github.com/${GITHUB_REPOSITORY}`);
        expect(verified.statement.subject.map((s) => s.name)).toEqual([
          'acme-hello-1.0.0.zip',
          'phpublish-tree-v1:acme/hello@1.0.0',
        ]);
        expect(verified.statement.predicate.buildDefinition.buildType).toBe(
          'https://actions.github.io/buildtypes/workflow/v1',
        );
      }
    });

    it('reuses the stored attestation when the step runs again, without signing twice', async () => {
      const fulcioRequests = fixture.sandbox.sigstore.requests.fulcio.length;
      const run = fixture.gitHubRun();
      const result = await attestRelease(run.config, { release, subjects: SUBJECTS }, run.deps);
      expect(result.reused).toBe(true);
      expect(result.stored.map((s) => s.state)).toEqual(['already-present', 'already-present']);
      expect(fixture.sandbox.sigstore.requests.fulcio.length).toBe(fulcioRequests);
      expect(fixture.sandbox.github.releaseAssets(GITHUB_REPOSITORY, TAG)).toHaveLength(1);
      expect(fixture.sandbox.github.attestations(GITHUB_REPOSITORY)).toHaveLength(1);
    });

    it('stops before signing when the release does not exist', async () => {
      const fulcioRequests = fixture.sandbox.sigstore.requests.fulcio.length;
      const run = fixture.gitHubRun();
      const code = await codeOf(
        attestRelease(run.config, { release: { ...release, tag: 'v9.9.9' }, subjects: SUBJECTS }, run.deps),
      );
      expect(code).toBe('ATTEST_RELEASE_NOT_FOUND');
      expect(fixture.sandbox.sigstore.requests.fulcio.length).toBe(fulcioRequests);
    });

    it('stops before signing when the tag points at another commit than the job was started for', async () => {
      const fulcioRequests = fixture.sandbox.sigstore.requests.fulcio.length;
      fixture.sandbox.github.createRelease(GITHUB_REPOSITORY, 'v3.0.0');
      const run = fixture.gitHubRun({ sha: 'a1'.repeat(20), ref: 'refs/tags/v3.0.0' });
      const code = await codeOf(
        attestRelease(
          run.config,
          {
            release: { ...release, version: '3.0.0', tag: 'v3.0.0', commit: 'b2'.repeat(20) },
            subjects: releaseSubjects({
              packageName: PACKAGE,
              version: '3.0.0',
              zipSha256: 'b3'.repeat(32),
              contentDigest: CONTENT_DIGEST,
            }),
          },
          run.deps,
        ),
      );
      expect(code).toBe('ATTEST_OTHER_COMMIT');
      expect(fixture.sandbox.sigstore.requests.fulcio.length).toBe(fulcioRequests);
    });

    it('names the missing permission when the token may not write attestations', async () => {
      const run = fixture.gitHubRun(
        { ref: 'refs/tags/v2.0.0' },
        { permissions: { contents: 'write' }, config: { storeReleaseAsset: false } },
      );
      const code = await codeOf(
        attestRelease(
          run.config,
          {
            release: { ...release, version: '2.0.0', tag: 'v2.0.0' },
            subjects: releaseSubjects({
              packageName: PACKAGE,
              version: '2.0.0',
              zipSha256: 'b2'.repeat(32),
              contentDigest: CONTENT_DIGEST,
            }),
          },
          run.deps,
        ),
      );
      expect(code).toBe('ATTEST_GITHUB_PERMISSION_MISSING');
    });
  });

  describe('when a GitLab CI release job attests', () => {
    it('signs, uploads to the package registry, links it from the release, and the linked copy verifies', async () => {
      const run = fixture.gitLabRun();
      const result = await attestRelease(run.config, { release, subjects: SUBJECTS }, run.deps);
      expect(result.stored.map((s) => [s.target, s.state])).toEqual([['gitlab-release-link', 'stored']]);
      expect(fixture.sandbox.gitlab.releaseLinks(GITLAB_PROJECT, TAG).map((l) => l.name)).toEqual([BUNDLE_NAME]);

      const api = gitLabApiFor({
        env: run.env,
        config: run.config,
        token: { kind: 'job', value: run.env['CI_JOB_TOKEN']! },
        http: httpDeps(run.deps, 5),
        redactor: run.deps.redactor,
      });
      const fetched = await fetchGitLabReleaseLink(api, { tag: TAG, fileName: BUNDLE_NAME });
      const verified = await verifyAttestation({
        bundle: fetched,
        trustedRoot: fixture.sandbox.sigstore.trustedRoot,
        policy: gitLabCiPolicy({
          project: GITLAB_PROJECT,
          ref: `refs/tags/${TAG}`,
          issuer: fixture.sandbox.gitlabIssuer.issuer,
        }),
        subjects: { zip: { name: 'acme-hello-1.0.0.zip', sha256: ZIP_SHA256 }, contentDigest: CONTENT_DIGEST },
      });
      expect(verified.signer.subjectAlternativeName).toBe(
        `https://gitlab.com/${GITLAB_PROJECT}//.gitlab-ci.yml@refs/tags/${TAG}`,
      );
      expect(verified.statement.predicate.buildDefinition.buildType).toMatch(
        /^https:\/\/gitlab\.com\/gitlab-org\/gitlab-runner\/-\/blob\/v[\d.]+\/PROVENANCE\.md$/,
      );
    });

    it('reuses the linked attestation when the step runs again', async () => {
      const run = fixture.gitLabRun();
      const result = await attestRelease(run.config, { release, subjects: SUBJECTS }, run.deps);
      expect(result.reused).toBe(true);
      expect(fixture.sandbox.gitlab.releaseLinks(GITLAB_PROJECT, TAG)).toHaveLength(1);
    });
  });
});
