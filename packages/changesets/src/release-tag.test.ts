import { createSignedTag } from '@phpublish/core/git';
import { loadSigningKey, readSigningKeyMaterial, type SigningKey } from '@phpublish/core/pgp';
import { codeOf } from '@phpublish/testing/errors';
import { git, gitEnv } from '@phpublish/testing/git';
import { generateTestKey } from '@phpublish/testing/pgp';
import {
  type BareRemote,
  createBareRemote,
  createPhpPackageRepo,
  type PhpPackageRepo,
} from '@phpublish/testing/php-package-repo';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkRemoteTagSigned, locateReleaseTag, makeLocalTagSigned } from './release-tag.js';

const silent = { info: () => {}, warn: () => {}, error: () => {}, success: () => {} };
let releaseKey: SigningKey;
let otherKey: SigningKey;
let repo: PhpPackageRepo;
let remote: BareRemote;

/** A fresh key, loaded the way a release loads PHPUBLISH_GPG_PRIVATE_KEY. */
async function signingKeyOf(kind: 'ed25519'): Promise<SigningKey> {
  const key = await generateTestKey(kind);
  const { material } = readSigningKeyMaterial({ env: { PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey } });
  if (!material) throw new Error('the test key was not read');
  return loadSigningKey(material);
}

beforeAll(async () => {
  releaseKey = await signingKeyOf('ed25519');
  otherKey = await signingKeyOf('ed25519');
});

beforeEach(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: [] });
  remote = await createBareRemote();
  await repo.git(['remote', 'add', 'origin', remote.dir]);
  await repo.git(['push', '-q', 'origin', 'main']);
});

afterEach(async () => {
  await repo.cleanup();
  await remote.cleanup();
});

const input = () => ({ cwd: repo.dir, env: gitEnv(), tag: 'v1.1.0', remote: 'origin' });

describe('when the remote already has the tag', () => {
  it('refuses one signed by another key (someone else’s tag passed off as the release) with CHANGESETS_TAG_ON_REMOTE_NOT_SIGNED', async () => {
    await createSignedTag({ ...input(), target: 'HEAD', message: 'Release v1.1.0', key: otherKey });
    await repo.git(['push', '-q', 'origin', 'v1.1.0']);
    const state = await locateReleaseTag(input());
    expect(await codeOf(checkRemoteTagSigned(input(), state, releaseKey))).toBe('CHANGESETS_TAG_ON_REMOTE_NOT_SIGNED');
    expect(await codeOf(checkRemoteTagSigned(input(), state, otherKey))).toBe('resolved');
  });

  it('refuses one at another commit with TAG_EXISTS_AT_OTHER_COMMIT (release tags never move)', async () => {
    await createSignedTag({ ...input(), target: 'HEAD', message: 'Release v1.1.0', key: releaseKey });
    await repo.git(['push', '-q', 'origin', 'v1.1.0']);
    await repo.git(['tag', '-d', 'v1.1.0']);
    await repo.commit({ 'src/Later.php': '<?php\n' }, 'feat: later');
    await repo.git(['tag', '-a', '-m', 'v1.1.0', 'v1.1.0']); // changesets tags the new HEAD
    expect(await codeOf(locateReleaseTag(input()))).toBe('TAG_EXISTS_AT_OTHER_COMMIT');
  });

  it('takes the remote’s signed tag in place of a new unsigned local one (a re-run from a fresh checkout)', async () => {
    await createSignedTag({ ...input(), target: 'HEAD', message: 'Release v1.1.0', key: releaseKey });
    await repo.git(['push', '-q', 'origin', 'v1.1.0']);
    const signed = await git(remote.dir, ['rev-parse', 'refs/tags/v1.1.0']);
    await repo.git(['tag', '-d', 'v1.1.0']);
    await repo.git(['tag', '-a', '-m', 'v1.1.0', 'v1.1.0']);
    const state = await locateReleaseTag(input());
    await checkRemoteTagSigned(input(), state, releaseKey);
    await makeLocalTagSigned({ ...input(), logger: silent, signingKey: releaseKey }, state);
    expect(await repo.git(['rev-parse', 'refs/tags/v1.1.0'])).toBe(signed);
  });
});

describe('when only the local tag exists (changesets made it and did not push it)', () => {
  it('replaces it with a tag signed by the release key at the same commit', async () => {
    await repo.git(['tag', '-a', '-m', 'v1.1.0', 'v1.1.0']);
    const head = (await repo.git(['rev-parse', 'HEAD'])).trim();
    const state = await locateReleaseTag(input());
    expect(state).toEqual({ commit: head, localTag: true });
    await makeLocalTagSigned({ ...input(), logger: silent, signingKey: releaseKey }, state);
    expect((await repo.git(['rev-parse', 'v1.1.0^{commit}'])).trim()).toBe(head);
    expect(await repo.git(['cat-file', 'tag', 'v1.1.0'])).toContain('-----BEGIN PGP SIGNATURE-----');
  });
});
