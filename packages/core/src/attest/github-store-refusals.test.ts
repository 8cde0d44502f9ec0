/**
 * What each GitHub call of the stores makes of a refusal or a failure: a coded error naming the
 * permission or the status, never a crash and never a silent success. Against the sandbox GitHub,
 * with faults injected per route.
 */
import { createHash } from 'node:crypto';
import { type AttestFixture, GITHUB_REPOSITORY, type Run, startAttestFixture, TAG } from '@phpublish/testing/attest';
import { codeOf } from '@phpublish/testing/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhpublishError } from '../errors/index.js';
import { httpDeps } from './deps.js';
import { gitHubApiFor } from './forges.js';
import {
  isImmutableRelease,
  probeAttestationsWrite,
  publishDraftRelease,
  releaseImmutability,
  storeGitHubAttestation,
  storeZipAsset,
} from './github-store.js';

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture();
});
afterAll(async () => {
  await fixture.close();
});

const apiOf = (run: Run, token = run.env['GITHUB_TOKEN']!) =>
  gitHubApiFor({ env: run.env, config: run.config, token, http: httpDeps(run.deps, 5), redactor: run.deps.redactor });

const REPO_PATH = `/repos/${GITHUB_REPOSITORY}`;
const BUNDLE = { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' };
const SUBJECTS = [{ name: 'acme-hello-9.9.9.zip', digest: { sha256: 'e'.repeat(64) } }];

async function rejection(promise: Promise<unknown>): Promise<PhpublishError> {
  try {
    await promise;
  } catch (error) {
    return error as PhpublishError;
  }
  throw new Error('it succeeded');
}

describe('when GitHub fails to answer a lookup', () => {
  it('reports a release lookup that keeps failing as ATTEST_FETCH_FAILED with the status, not as "no release"', async () => {
    const run = fixture.gitHubRun();
    fixture.sandbox.github.injectFault({
      path: `${REPO_PATH}/releases/tags/${TAG}`,
      fault: { status: 502, body: '<html>Bad gateway</html>' },
      // Every attempt the fixture makes (two).
      times: 2,
    });
    const error = await rejection(isImmutableRelease(apiOf(run), TAG));
    expect(error.code).toBe('ATTEST_FETCH_FAILED');
    expect(error.message).toContain('502');
  });

  it('says release immutability is unknown when neither the setting nor a latest release can be read', async () => {
    const run = fixture.gitHubRun();
    // The workflow token may not read the setting (403); the repository has no release to tell.
    fixture.sandbox.github.injectFault({ path: `${REPO_PATH}/releases/latest`, fault: { status: 404 } });
    expect(await releaseImmutability(apiOf(run))).toBe('unknown');
  });
});

describe('when publishing the draft release', () => {
  it('refuses with ATTEST_RELEASE_NOT_FOUND when there is neither a release nor a draft of the tag', async () => {
    const run = fixture.gitHubRun();
    expect(await codeOf(publishDraftRelease(apiOf(run), 'v404.0.0'))).toBe('ATTEST_RELEASE_NOT_FOUND');
  });

  it('names the missing permission when GitHub refuses to publish it, and not for a rate limit', async () => {
    const run = fixture.gitHubRun();
    const { id } = fixture.sandbox.github.createRelease(GITHUB_REPOSITORY, 'v3.0.0', { draft: true });
    const user = fixture.sandbox.github.issueToken(GITHUB_REPOSITORY, { contents: 'write' }, { user: 'acme' });
    const path = `${REPO_PATH}/releases/${id}`;

    fixture.sandbox.github.injectFault({
      method: 'PATCH',
      path,
      fault: { status: 403, body: '{"message":"Resource not accessible by integration"}' },
    });
    const refused = await rejection(publishDraftRelease(apiOf(run, user), 'v3.0.0'));
    expect(refused.code).toBe('ATTEST_GITHUB_PERMISSION_MISSING');
    expect(refused.message).toContain('contents: write');

    fixture.sandbox.github.injectFault({
      method: 'PATCH',
      path,
      fault: { status: 403, body: '{"message":"API rate limit exceeded for installation"}' },
    });
    const limited = await rejection(publishDraftRelease(apiOf(run, user), 'v3.0.0'));
    expect(limited.code).toBe('ATTEST_STORE_FAILED');
    expect(limited.message).toContain('API rate limit exceeded');

    // Nothing was published by either attempt; with the faults gone it is.
    expect(await publishDraftRelease(apiOf(run, user), 'v3.0.0')).toEqual({ state: 'published' });
  });
});

describe('when storing in GitHub’s attestation store', () => {
  it('stores even when the store cannot be read first (reading only avoids duplicates)', async () => {
    const run = fixture.gitHubRun();
    fixture.sandbox.github.injectFault({
      method: 'GET',
      path: new RegExp(`^${REPO_PATH}/attestations/sha256:`),
      fault: { status: 500 },
      // Every attempt the fixture makes (two).
      times: 2,
    });
    const outcome = await storeGitHubAttestation(apiOf(run), { bundle: BUNDLE, subjects: SUBJECTS });
    expect(outcome.state).toBe('stored');
  });

  it('names the missing permission on a 403, and reports any other refusal with its status, sending once', async () => {
    const run = fixture.gitHubRun();
    const store = () =>
      storeGitHubAttestation(apiOf(run), {
        bundle: BUNDLE,
        subjects: SUBJECTS.map((s) => ({ ...s, name: `x-${s.name}` })),
      });

    fixture.sandbox.github.injectFault({
      method: 'POST',
      path: `${REPO_PATH}/attestations`,
      fault: { status: 403, body: '{"message":"Forbidden"}' },
    });
    const refused = await rejection(store());
    expect(refused.code).toBe('ATTEST_GITHUB_PERMISSION_MISSING');
    expect(refused.message).toContain('attestations: write');

    const before = fixture.sandbox.github.requests.length;
    fixture.sandbox.github.injectFault({
      method: 'POST',
      path: `${REPO_PATH}/attestations`,
      fault: { status: 500, body: '{"message":"Server Error"}' },
    });
    const failed = await rejection(store());
    expect(failed.code).toBe('ATTEST_STORE_FAILED');
    expect(failed.message).toContain('500');
    // A POST that may have been kept is not repeated.
    const posts = fixture.sandbox.github.requests.slice(before).filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
  });

  it('reports a token GitHub does not accept when probing the write permission', async () => {
    const run = fixture.gitHubRun();
    const error = await probeAttestationsWrite(apiOf(run, 'ghs_not-a-token-the-sandbox-issued'));
    expect(error?.code).toBe('ATTEST_STORE_FAILED');
    expect(error?.message).toContain('the token was refused (bad credentials)');
    expect(error?.message).not.toContain('ghs_not-a-token-the-sandbox-issued');
  });
});

describe('when GitHub made the release immutable between the check and the upload (a racing release tool)', () => {
  it('turns GitHub’s 422 into ATTEST_RELEASE_IMMUTABLE', async () => {
    const run = fixture.gitHubRun();
    fixture.sandbox.github.createRelease(GITHUB_REPOSITORY, 'v4.0.0');
    fixture.sandbox.github.injectFault({
      method: 'POST',
      path: /\/assets$/,
      fault: { status: 422, body: '{"message":"Cannot upload assets to an immutable release"}' },
    });
    const content = Buffer.from('zip bytes');
    const error = await rejection(
      storeZipAsset(apiOf(run), { tag: 'v4.0.0', assetName: 'acme-hello-4.0.0.zip', content, sha256: 'f'.repeat(64) }),
    );
    expect(error.code).toBe('ATTEST_RELEASE_IMMUTABLE');
  });
});

describe('when the release already has a zip of that name', () => {
  it('keeps the same zip on a re-run and refuses another one with ATTEST_RELEASE_ASSET_CONFLICT', async () => {
    const run = fixture.gitHubRun();
    fixture.sandbox.github.createRelease(GITHUB_REPOSITORY, 'v4.1.0');
    const content = Buffer.from('the zip of 4.1.0');
    const sha256 = createHash('sha256').update(content).digest('hex');
    const input = { tag: 'v4.1.0', assetName: 'acme-hello-4.1.0.zip', content, sha256 };
    expect((await storeZipAsset(apiOf(run), input)).state).toBe('stored');
    expect((await storeZipAsset(apiOf(run), input)).state).toBe('already-present');

    const other = Buffer.from('another zip of 4.1.0');
    const otherSha256 = createHash('sha256').update(other).digest('hex');
    expect(await codeOf(storeZipAsset(apiOf(run), { ...input, content: other, sha256: otherSha256 }))).toBe(
      'ATTEST_RELEASE_ASSET_CONFLICT',
    );
    const assets = fixture.sandbox.github.releaseAssets(GITHUB_REPOSITORY, 'v4.1.0');
    expect(assets.map((asset) => asset.content.toString())).toEqual(['the zip of 4.1.0']);
  });
});
