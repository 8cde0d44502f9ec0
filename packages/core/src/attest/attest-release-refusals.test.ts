/**
 * attestRelease when something it needs is missing, or when the release already holds a file of the
 * bundle's name that is not a bundle: a coded error, nothing signed where nothing can be stored, and
 * nothing replaced. Against the sandbox CI token services, Sigstore, GitHub and GitLab.
 */
import {
  type AttestFixture,
  GITHUB_REPOSITORY,
  GITLAB_PROJECT,
  PACKAGE,
  type Run,
  SUBJECTS,
  startAttestFixture,
  withEnv,
} from '@phpublish/testing/attest';
import { codeOf } from '@phpublish/testing/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestRelease } from './attest-release.js';
import { httpDeps } from './deps.js';
import { gitHubApiFor, gitLabApiFor } from './forges.js';
import { storeZipAsset } from './github-store.js';
import { storeGitLabReleaseLink } from './gitlab-store.js';

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture();
});
afterAll(async () => {
  await fixture.close();
});

const release = (version: string) => ({ packageName: PACKAGE, version, tag: `v${version}` });
const attest = (run: Run, version = '1.0.0') =>
  attestRelease(run.config, { release: release(version), subjects: SUBJECTS }, run.deps);
const signaturesMade = () => fixture.sandbox.sigstore.requests.fulcio.length;

describe('when what attestation needs is not there', () => {
  it('refuses outside a supported CI with ATTEST_CI_UNSUPPORTED', async () => {
    const run = fixture.gitHubRun();
    expect(await codeOf(attest(withEnv(run, { PATH: '/usr/bin' })))).toBe('ATTEST_CI_UNSUPPORTED');
  });

  it('refuses a GitHub job without a token for its stores before anything is signed', async () => {
    const run = fixture.gitHubRun();
    const { GITHUB_TOKEN: _, ...env } = run.env;
    const before = signaturesMade();
    expect(await codeOf(attest(withEnv(run, env)))).toBe('ATTEST_GITHUB_TOKEN_MISSING');
    expect(signaturesMade()).toBe(before);
  });

  it('refuses a GitLab job without a project or job token before anything is signed', async () => {
    const run = fixture.gitLabRun();
    const { CI_JOB_TOKEN: _, GITLAB_TOKEN: __, ...env } = run.env;
    const before = signaturesMade();
    expect(await codeOf(attest(withEnv(run, env)))).toBe('ATTEST_GITLAB_TOKEN_MISSING');
    expect(signaturesMade()).toBe(before);
  });
});

describe('when the release already has a file of the bundle’s name that is not a bundle', () => {
  it('never replaces it: ATTEST_RELEASE_ASSET_CONFLICT, and the file stays as it was', async () => {
    const run = fixture.gitHubRun({ ref: 'refs/tags/v6.0.0' }, { config: { storeGitHubAttestation: false } });
    fixture.sandbox.github.createRelease(GITHUB_REPOSITORY, 'v6.0.0');
    const api = gitHubApiFor({
      env: run.env,
      config: run.config,
      token: run.env['GITHUB_TOKEN']!,
      http: httpDeps(run.deps, 5),
      redactor: run.deps.redactor,
    });
    const content = Buffer.from('<html>not a bundle</html>');
    await storeZipAsset(api, {
      tag: 'v6.0.0',
      assetName: 'acme-hello-6.0.0.sigstore.json',
      content,
      sha256: '0'.repeat(64),
    });

    expect(await codeOf(attest(run, '6.0.0'))).toBe('ATTEST_RELEASE_ASSET_CONFLICT');
    const assets = fixture.sandbox.github.releaseAssets(GITHUB_REPOSITORY, 'v6.0.0');
    expect(assets.map((asset) => asset.name)).toEqual(['acme-hello-6.0.0.sigstore.json']);
    expect(assets.map((asset) => asset.content.toString())).toEqual([content.toString()]);
  });
});

describe('when the release links another build’s bundle under the bundle’s name', () => {
  it('refuses with ATTEST_RELEASE_ASSET_CONFLICT before signing: no entry in the public log for a provenance that cannot be stored', async () => {
    const run = fixture.gitLabRun({ ref: 'v6.1.0' });
    fixture.sandbox.gitlab.createRelease(GITLAB_PROJECT, 'v6.1.0');
    const api = gitLabApiFor({
      env: run.env,
      config: run.config,
      token: { kind: 'job', value: run.env['CI_JOB_TOKEN']! },
      http: httpDeps(run.deps, 5),
      redactor: run.deps.redactor,
    });
    const payload = Buffer.from(
      JSON.stringify({ subject: [{ name: 'other.zip', digest: { sha256: 'b'.repeat(64) } }] }),
    );
    await storeGitLabReleaseLink(api, {
      tag: 'v6.1.0',
      version: '6.1.0',
      fileName: 'acme-hello-6.1.0.sigstore.json',
      bundle: {
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        dsseEnvelope: { payload: payload.toString('base64') },
      },
      subjects: [{ name: 'other.zip', digest: { sha256: 'b'.repeat(64) } }],
    });
    const before = signaturesMade();
    expect(await codeOf(attest(run, '6.1.0'))).toBe('ATTEST_RELEASE_ASSET_CONFLICT');
    expect(signaturesMade()).toBe(before);
  });
});
