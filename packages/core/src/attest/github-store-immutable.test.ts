/**
 * Immutable releases (a repository setting): once published, a release takes no more assets. The
 * zip and bundle go onto the draft, which is published last; a published immutable release is
 * refused with a coded error before anything is uploaded. Against the sandbox GitHub.
 */
import { createHash } from 'node:crypto';
import {
  type AttestFixture,
  GITHUB_REPOSITORY,
  PACKAGE,
  type Run,
  startAttestFixture,
} from '@phpublish/testing/attest';
import { codeOf } from '@phpublish/testing/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestRelease } from './attest-release.js';
import { httpDeps } from './deps.js';
import { gitHubApiFor } from './forges.js';
import {
  isImmutableRelease,
  publishDraftRelease,
  releaseAssetsAttachable,
  releaseImmutability,
  storeZipAsset,
} from './github-store.js';
import { releaseSubjects } from './subjects.js';

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture();
  // Release immutability turned on after v1.0.0 (which stays mutable); v2.0.0 was published since.
  fixture.sandbox.github.setImmutableReleases(GITHUB_REPOSITORY, true);
  fixture.sandbox.github.createRelease(GITHUB_REPOSITORY, 'v2.0.0');
});
afterAll(async () => {
  await fixture.close();
});

const apiOf = (run: Run, token = run.env['GITHUB_TOKEN']!) =>
  gitHubApiFor({ env: run.env, config: run.config, token, http: httpDeps(run.deps, 5), redactor: run.deps.redactor });

/** The release of `version` as phpublish attests it, with a zip unique to it. */
const releaseOf = (version: string) => ({
  release: { packageName: PACKAGE, version, tag: `v${version}` },
  subjects: releaseSubjects({
    packageName: PACKAGE,
    version,
    zipSha256: Buffer.from(version.padEnd(32, '.')).toString('hex'),
    contentDigest: `phpublish-tree-v1:sha256:${Buffer.from(version.padEnd(32, '#')).toString('hex')}`,
  }),
});
const zip = Buffer.from('zip bytes');
const zipSha256 = createHash('sha256').update(zip).digest('hex');

describe('releaseImmutability', () => {
  it('reads the setting with a token that may, and from the latest release with a workflow’s token', async () => {
    const run = fixture.gitHubRun();
    const user = fixture.sandbox.github.issueToken(GITHUB_REPOSITORY, { contents: 'write' }, { user: 'acme' });
    expect(await releaseImmutability(apiOf(run, user))).toBe('on');
    // The GITHUB_TOKEN may not read the setting: the latest release (v2.0.0, immutable) says it.
    expect(await releaseImmutability(apiOf(run))).toBe('on');
    fixture.sandbox.github.setImmutableReleases(GITHUB_REPOSITORY, false);
    try {
      expect(await releaseImmutability(apiOf(run, user))).toBe('off');
    } finally {
      fixture.sandbox.github.setImmutableReleases(GITHUB_REPOSITORY, true);
    }
  });
});

describe('when the release is already published and immutable', () => {
  it('refuses to attach the bundle with ATTEST_RELEASE_IMMUTABLE, uploading nothing', async () => {
    const run = fixture.gitHubRun({}, { config: { storeGitHubAttestation: false } });
    const before = fixture.sandbox.github.requests.length;
    expect(await codeOf(attestRelease(run.config, releaseOf('2.0.0'), run.deps))).toBe('ATTEST_RELEASE_IMMUTABLE');
    expect(fixture.sandbox.github.releaseAssets(GITHUB_REPOSITORY, 'v2.0.0')).toEqual([]);
    const uploads = fixture.sandbox.github.requests.slice(before).filter((r) => r.url.includes('/uploads/'));
    expect(uploads).toEqual([]);
  });

  it('refuses to attach the zip the same way', async () => {
    const run = fixture.gitHubRun();
    expect(await isImmutableRelease(apiOf(run), 'v2.0.0')).toBe(true);
    expect(
      await codeOf(storeZipAsset(apiOf(run), { tag: 'v2.0.0', assetName: 'a.zip', content: zip, sha256: zipSha256 })),
    ).toBe('ATTEST_RELEASE_IMMUTABLE');
  });

  it('stores the bundle in the attestation store only, with a warning, and signs nothing it cannot store', async () => {
    const run = fixture.gitHubRun();
    const result = await attestRelease(run.config, releaseOf('2.0.0'), run.deps);
    expect(result.stored.map((s) => [s.target, s.state])).toEqual([['github-attestation-store', 'stored']]);
    expect(run.deps.lines.find((line) => line.startsWith('warn:'))).toContain('attestation store only');
    expect(fixture.sandbox.github.releaseAssets(GITHUB_REPOSITORY, 'v2.0.0')).toEqual([]);
  });

  it('stops before signing when neither store can take the bundle', async () => {
    const run = fixture.gitHubRun({}, { config: { storeGitHubAttestation: false } });
    expect(await codeOf(attestRelease(run.config, releaseOf('2.0.0'), run.deps))).toBe('ATTEST_RELEASE_IMMUTABLE');
    expect(run.deps.lines.some((line) => line.includes('signed the provenance'))).toBe(false);
  });
});

describe('when the release tool left the release a draft', () => {
  it('attaches the bundle and zip to the draft, then publishes it: immutable, with both assets', async () => {
    const { id } = fixture.sandbox.github.createRelease(GITHUB_REPOSITORY, 'v3.0.0', { draft: true });
    const run = fixture.gitHubRun();
    const api = apiOf(run);
    const attested = await attestRelease(run.config, releaseOf('3.0.0'), run.deps);
    expect(attested.stored.map((s) => [s.target, s.state])).toEqual([
      ['github-release-asset', 'stored'],
      ['github-attestation-store', 'stored'],
    ]);
    expect(
      (await storeZipAsset(api, { tag: 'v3.0.0', assetName: 'a.zip', content: zip, sha256: zipSha256 })).state,
    ).toBe('stored');
    expect(await publishDraftRelease(api, 'v3.0.0')).toEqual({ state: 'published' });

    const [published] = fixture.sandbox.github.releases(GITHUB_REPOSITORY).filter((r) => r.tag === 'v3.0.0');
    expect(published).toMatchObject({ id, draft: false, immutable: true });
    expect(published!.assets.map((asset) => asset.name).sort()).toEqual(['a.zip', 'acme-hello-3.0.0.sigstore.json']);

    // A re-run finds everything in place and changes nothing.
    const again = await attestRelease(run.config, releaseOf('3.0.0'), run.deps);
    expect(again.reused).toBe(true);
    expect(again.stored.map((s) => s.state)).toEqual(['already-present', 'already-present']);
    expect(
      (await storeZipAsset(api, { tag: 'v3.0.0', assetName: 'a.zip', content: zip, sha256: zipSha256 })).state,
    ).toBe('already-present');
    expect(await publishDraftRelease(api, 'v3.0.0')).toEqual({ state: 'already-published' });
  });

  it('leaves a draft alone where immutability is off (not found by its tag, as before)', async () => {
    fixture.sandbox.github.addRepository('acme/mutable');
    fixture.sandbox.github.createRelease('acme/mutable', 'v1.0.0', { draft: true });
    const base = fixture.gitHubRun();
    const token = fixture.sandbox.github.issueToken('acme/mutable', { contents: 'write' });
    const api = { ...apiOf(base, token), repository: 'acme/mutable' };
    expect(
      await codeOf(storeZipAsset(api, { tag: 'v1.0.0', assetName: 'a.zip', content: zip, sha256: zipSha256 })),
    ).toBe('ATTEST_RELEASE_NOT_FOUND');
    expect(fixture.sandbox.github.releases('acme/mutable')[0]!.assets).toEqual([]);
  });
});

describe('releaseAssetsAttachable', () => {
  const names = ['acme-hello-9.0.0.zip', 'acme-hello-9.0.0.sigstore.json'];
  const ask = (run: Run, tag: string, attestationStore: boolean) =>
    releaseAssetsAttachable(apiOf(run), { tag, assetNames: names, attestationStore, logger: run.deps.logger });

  it('says yes for a mutable release and for a draft', async () => {
    const run = fixture.gitHubRun();
    fixture.sandbox.github.createRelease(GITHUB_REPOSITORY, 'v9.0.0', { draft: true });
    expect(await ask(run, 'v1.0.0', false)).toBe(true);
    expect(await ask(run, 'v9.0.0', false)).toBe(true);
  });

  it('says no for a published immutable release, with a warning, when the attestation store holds the bundle', async () => {
    const run = fixture.gitHubRun();
    expect(await ask(run, 'v2.0.0', true)).toBe(false);
    expect(run.deps.lines.find((line) => line.startsWith('warn:'))).toContain('attestation store only');
  });

  it('refuses with ATTEST_RELEASE_IMMUTABLE when nothing else would hold the bundle', async () => {
    const run = fixture.gitHubRun();
    expect(await codeOf(ask(run, 'v2.0.0', false))).toBe('ATTEST_RELEASE_IMMUTABLE');
  });

  it('says yes for an immutable release that already has every asset (a re-run)', async () => {
    const run = fixture.gitHubRun();
    const assetNames = ['a.zip', 'acme-hello-3.0.0.sigstore.json'];
    expect(
      await releaseAssetsAttachable(apiOf(run), {
        tag: 'v3.0.0',
        assetNames,
        attestationStore: false,
        logger: run.deps.logger,
      }),
    ).toBe(true);
  });
});
