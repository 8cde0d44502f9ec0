import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { buildTagPayload } from '../git/tag-object.js';
import { signDetached } from '../pgp/sign.js';
import { loadSigningKey } from '../pgp/signing-key.js';
import { loadTrustedKeys, type TrustedKeys } from '../pgp/trusted-keys.js';
import { checkTagSignatureCached } from './cached-checks.js';
import type { FetchedTag } from './fetch-tag.js';
import { VerifyCache } from './verify-cache.js';

// A tag signature verified once is kept in the verification cache under the tag object's bytes and
// the trusted keys. The cache may save the work, never change the verdict: other bytes or other keys
// verify again, and a key that expires after the entry was written is seen as expired.

const COMMIT = 'c'.repeat(40);
const DAY = 86_400_000;
let temp: TempDir;
let maintainer: TestKey;
let trusted: TrustedKeys;
let tag: Extract<FetchedTag, { kind: 'annotated' }>;

beforeAll(async () => {
  temp = await makeTempDir('phpublish-cached-tag-');
  // A key valid for 30 days from now.
  maintainer = await generateTestKey('ed25519', { keyExpirationTime: 30 * 86_400 });
  trusted = await loadTrustedKeys({ keys: [{ armored: maintainer.armoredPublicKey, source: 'maintainer.asc' }] });
  const signer = await loadSigningKey({
    armoredKey: maintainer.armoredPrivateKey,
    keySource: 'test',
    passphraseSource: 'test',
  });
  const payload = buildTagPayload({ object: COMMIT, tag: 'v1.0.0', tagger: 'A <a@b> 1700000000 +0000', message: 'R' });
  const signature = await signDetached(signer, payload, { now: new Date() });
  tag = {
    kind: 'annotated',
    oid: 'f'.repeat(40),
    raw: Buffer.concat([payload, Buffer.from(signature.armored)]),
    commit: COMMIT,
  };
});
afterAll(async () => temp.cleanup());

const freshCache = (name: string) => new VerifyCache({ dir: `${temp.path}/${name}`, phpublishVersion: '1.0.0' });

describe('when a verified tag signature is cached', () => {
  it('reuses it for the same tag object and keys, with the same verdict', async () => {
    const cache = freshCache('same');
    const first = await checkTagSignatureCached(cache, 'v1.0.0', tag, { trusted, now: new Date() });
    const again = await checkTagSignatureCached(cache, 'v1.0.0', tag, { trusted, now: new Date() });
    expect(again).toEqual(first);
    expect(again.signer.fingerprint).toBe(maintainer.fingerprint);
    expect(again.keyExpiredSince).toBe(false);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1, written: 1 });
  });

  it('sees the key as expired once it has, though the entry was written while it was valid', async () => {
    const cache = freshCache('expiry');
    await checkTagSignatureCached(cache, 'v1.0.0', tag, { trusted, now: new Date() });
    const later = await checkTagSignatureCached(cache, 'v1.0.0', tag, {
      trusted,
      now: new Date(Date.now() + 31 * DAY),
    });
    expect(cache.stats.hits).toBe(1);
    expect(later.keyExpiredSince).toBe(true);
  });

  it('verifies again, and refuses, a tag object whose bytes changed', async () => {
    const cache = freshCache('edited');
    await checkTagSignatureCached(cache, 'v1.0.0', tag, { trusted, now: new Date() });
    const edited = { ...tag, raw: Buffer.from(tag.raw.toString('latin1').replace('\n\nR', '\n\nX'), 'latin1') };
    const error = await checkTagSignatureCached(cache, 'v1.0.0', edited, { trusted, now: new Date() }).catch((e) => e);
    expect(isPhpublishError(error, 'VERIFY_TAG_SIGNATURE_BAD')).toBe(true);
    expect(cache.stats.hits).toBe(0);
  });

  it('verifies again, and refuses, when the key is no longer trusted', async () => {
    const cache = freshCache('keys');
    await checkTagSignatureCached(cache, 'v1.0.0', tag, { trusted, now: new Date() });
    const other = await generateTestKey('ed25519');
    const others = await loadTrustedKeys({ keys: [{ armored: other.armoredPublicKey, source: 'other.asc' }] });
    const error = await checkTagSignatureCached(cache, 'v1.0.0', tag, { trusted: others, now: new Date() }).catch(
      (e) => e,
    );
    expect(isPhpublishError(error, 'VERIFY_TAG_UNTRUSTED_KEY')).toBe(true);
    expect(cache.stats.hits).toBe(0);
  });

  it('caches nothing for a lightweight tag, which is refused each time', async () => {
    const cache = freshCache('lightweight');
    for (let i = 0; i < 2; i++) {
      const error = await checkTagSignatureCached(
        cache,
        'v1.0.0',
        { kind: 'lightweight', commit: COMMIT },
        {
          trusted,
          now: new Date(),
        },
      ).catch((e) => e);
      expect(isPhpublishError(error, 'VERIFY_TAG_UNSIGNED')).toBe(true);
    }
    expect(cache.stats).toMatchObject({ hits: 0, written: 0 });
  });
});
