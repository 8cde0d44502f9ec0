import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attestRelease, gitLabBundleUrl, releaseFileNames, releaseSubjects } from '@phpublish/core/attest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import {
  type CliRun,
  explainOnFailure,
  failures,
  type MadeRelease,
  PACKAGE,
  reportOf,
  startVerifyFixture,
  type VerifyFixture,
  type VerifyJson,
} from './testing/verify-fixture.js';

/** The GitLab project acme/hello is released from (the attestation fixture's). */
const PROJECT = 'acme/hello';

let fixture: VerifyFixture;
/** Trusts the maintainer key and acme/hello's GitLab CI release pipeline on its tags, nothing on GitHub. */
let policyFile: string;
let jobToken: string;

beforeAll(async () => {
  fixture = await startVerifyFixture();
  const { sandbox } = fixture.attest;
  jobToken = sandbox.gitlab.issueJobToken(PROJECT);
  const policy = (extra: Record<string, unknown>) => ({
    packagistUrl: fixture.packagist.url,
    // Never asked: the policy names no GitHub identity.
    githubApiUrl: sandbox.github.url,
    trustedRoot: 'trusted_root.json',
    ...extra,
    packages: {
      [PACKAGE]: {
        keys: ['maintainer.asc'],
        identities: [
          {
            platform: 'gitlab-ci',
            issuer: sandbox.gitlabIssuer.issuer,
            repository: PROJECT,
            workflow: '.gitlab-ci.yml',
            ref: 'refs/tags/{tag}',
          },
        ],
      },
    },
  });
  policyFile = join(fixture.work.path, 'gitlab.policy.json');
  await writeFile(policyFile, JSON.stringify(policy({ gitlabApiUrl: sandbox.gitlab.apiUrl })));
  await writeFile(join(fixture.work.path, 'gitlab-no-api.policy.json'), JSON.stringify(policy({})));
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

/**
 * A release made on GitLab: signed tag, GitLab release, the zip attested by the release pipeline of
 * the tag; the bundle linked from the release (phpublish's way), only in the generic package
 * registry, or nowhere. Then Packagist crawls.
 */
async function gitLabRelease(version: string, store: 'link' | 'package-only' | 'none'): Promise<MadeRelease> {
  const tag = `v${version}`;
  const commit = await fixture.commit(version);
  await fixture.signTag(tag, commit);
  const release: MadeRelease = { version, tag, commit, ...(await fixture.archive(version, tag)) };
  const { sandbox } = fixture.attest;
  sandbox.gitlab.createRelease(PROJECT, tag);
  if (store !== 'none') {
    const run = fixture.attest.gitLabRun(
      { ref: tag, sha: commit },
      {
        config: {
          storeReleaseAsset: false,
          storeGitHubAttestation: false,
          storeGitLabReleaseLink: store === 'link',
        },
      },
    );
    const { bundle } = await attestRelease(
      run.config,
      {
        release: { packageName: PACKAGE, version, tag },
        subjects: releaseSubjects({
          packageName: PACKAGE,
          version,
          zipSha256: release.zipSha256,
          contentDigest: release.contentDigest,
        }),
      },
      run.deps,
    );
    if (store === 'package-only') await putPackageFile(version, JSON.stringify(bundle));
  }
  await fixture.crawl();
  return release;
}

/** Uploads a file to the generic package where phpublish keeps the bundle of `version`, without a release link. */
async function putPackageFile(version: string, content: string): Promise<void> {
  const { sandbox } = fixture.attest;
  const url = gitLabBundleUrl(
    {
      baseUrl: sandbox.gitlab.apiUrl,
      project: PROJECT,
      authHeaders: {},
      http: undefined as never,
      redactor: undefined as never,
    },
    version,
    releaseFileNames(PACKAGE, version).bundle,
  );
  const response = await fetch(url, { method: 'PUT', headers: { 'job-token': jobToken }, body: content });
  expect(response.status).toBe(201);
}

async function verify(tag: string, extra: string[] = [], env: Record<string, string> = {}) {
  const run = await fixture.cli(['verify', PACKAGE, tag, '--json', '--no-cache', '--policy', policyFile, ...extra], {
    env,
  });
  return { ...run, report: reportOf(run) as VerifyJson };
}

const attestationRow = (report: VerifyJson) => report.packages[0]!.checks.find((c) => c.check === 'attestation')!;

describe('phpublish verify of a package released on GitLab', () => {
  describe('when the release links its attestation (as phpublish stores it on GitLab)', () => {
    it('finds it through the release link and verifies the whole chain', async () => {
      let run: CliRun | undefined;
      explainOnFailure(() => run);
      const release = await gitLabRelease('1.0.0', 'link');
      const githubRequests = fixture.attest.sandbox.github.requests.length;
      const verified = await verify(release.tag);
      run = verified;
      expect(verified.code).toBe(EXIT.ok);
      expect(failures(verified.report)).toEqual({});
      expect(verified.report.packages[0]!.checks.map((c) => [c.check, c.status])).toEqual([
        ['packagist', 'passed'],
        ['tag', 'passed'],
        ['signature', 'passed'],
        ['attestation', 'passed'],
        ['content', 'passed'],
      ]);
      expect(attestationRow(verified.report).detail).toContain(
        `${releaseFileNames(PACKAGE, '1.0.0').bundle} linked from release v1.0.0 of ${PROJECT}`,
      );
      // GitHub is not asked when the policy names no GitHub identity.
      expect(fixture.attest.sandbox.github.requests.length).toBe(githubRequests);
    });

    it('reads GitLab’s API from --gitlab-api-url when the policy names none', async () => {
      const run = await fixture.cli([
        'verify',
        PACKAGE,
        'v1.0.0',
        '--json',
        '--no-cache',
        '--policy',
        join(fixture.work.path, 'gitlab-no-api.policy.json'),
        '--gitlab-api-url',
        fixture.attest.sandbox.gitlab.apiUrl,
      ]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.ok);
      expect(failures(reportOf(run))).toEqual({});
    });

    it('sends GITLAB_TOKEN to GitLab’s API only, and never prints it', async () => {
      const token = `glpat-${'x'.repeat(20)}`;
      const before = fixture.attest.sandbox.gitlab.requests.length;
      const run = await verify('v1.0.0', [], { GITLAB_TOKEN: token });
      explainOnFailure(() => run);
      // The sandbox refuses a token it did not issue: the request carried it, to the API.
      expect(fixture.attest.sandbox.gitlab.requests.length).toBeGreaterThan(before);
      expect(`${run.stdout}${run.stderr}`).not.toContain(token);
      expect(failures(run.report)).toMatchObject({ attestation: 'ATTEST_FETCH_FAILED' });
    });
  });

  describe('when the bundle is only in the generic package registry (no release link)', () => {
    it('finds it there and verifies', async () => {
      const release = await gitLabRelease('1.1.0', 'package-only');
      const run = await verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.ok);
      expect(attestationRow(run.report).detail).toContain(
        `phpublish-attestations/1.1.0/${releaseFileNames(PACKAGE, '1.1.0').bundle} in the generic packages of ${PROJECT}`,
      );
    });
  });

  describe('when GitLab has no attestation, or the wrong one', () => {
    it('fails with VERIFY_ATTESTATION_MISSING, saying where it looked on GitLab', async () => {
      const release = await gitLabRelease('1.2.0', 'none');
      const run = await verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ attestation: 'VERIFY_ATTESTATION_MISSING' });
      expect(attestationRow(run.report).detail).toContain('linked from release v1.2.0 of acme/hello on GitLab');
    });

    it('refuses an older release’s bundle stored for a new one (its pipeline ran on the old tag)', async () => {
      const release = await gitLabRelease('1.3.0', 'none');
      const old = await fetch(
        fixture.attest.sandbox.gitlab
          .releaseLinks(PROJECT, 'v1.0.0')
          .find((link) => link.name.endsWith('.sigstore.json'))!.url,
      );
      await putPackageFile('1.3.0', await old.text());
      const run = await verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      // The policy pins the run to refs/tags/{tag}: the replayed bundle was made on refs/tags/v1.0.0.
      expect(failures(run.report)).toEqual({ attestation: 'ATTEST_IDENTITY_MISMATCH' });
    });
  });
});
