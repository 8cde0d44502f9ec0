import { generateRevokedKey, generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ErrorCode, isPhpublishError } from '../errors/index.js';
import { buildTagPayload } from '../git/tag-object.js';
import { signDetached } from '../pgp/sign.js';
import { loadSigningKey, type SigningKey } from '../pgp/signing-key.js';
import { loadTrustedKeys, type TrustedKeys } from '../pgp/trusted-keys.js';
import type { FetchedTag } from './fetch-tag.js';
import { checkTagSignature, checkTagTarget } from './tag-checks.js';

const COMMIT = 'c'.repeat(40);
const DAY = 86_400_000;
let maintainer: TestKey;
let signing: SigningKey;
let trusted: TrustedKeys;

const load = (key: TestKey) =>
  loadSigningKey({ armoredKey: key.armoredPrivateKey, keySource: 'test', passphraseSource: 'test' });

beforeAll(async () => {
  maintainer = await generateTestKey('ed25519');
  signing = await load(maintainer);
  trusted = await loadTrustedKeys({ keys: [{ armored: maintainer.armoredPublicKey, source: 'maintainer.asc' }] });
});

async function signedTag(name: string, key: SigningKey, now = new Date()): Promise<FetchedTag> {
  const payload = buildTagPayload({
    object: COMMIT,
    tag: name,
    tagger: 'A <a@b> 1700000000 +0000',
    message: 'Release',
  });
  const signature = await signDetached(key, payload, { now });
  return {
    kind: 'annotated',
    oid: 'f'.repeat(40),
    raw: Buffer.concat([payload, Buffer.from(signature.armored)]),
    commit: COMMIT,
  };
}

async function codeOf(tag: string, fetched: FetchedTag, keys = trusted): Promise<ErrorCode | 'verified'> {
  try {
    if (fetched.kind === 'missing') throw new Error('no tag');
    await checkTagSignature(tag, fetched, { trusted: keys, now: new Date() });
    return 'verified';
  } catch (error) {
    if (isPhpublishError(error)) return error.code;
    throw error;
  }
}

describe('checkTagTarget', () => {
  it('passes a tag at the commit, and names a missing or moved one', () => {
    const at = { url: 'https://github.com/acme/hello.git', commit: COMMIT };
    expect(checkTagTarget('v1.0.0', { kind: 'lightweight', commit: COMMIT }, at)).toContain('v1.0.0 → cccccccccccc');
    expect(() => checkTagTarget('v1.0.0', { kind: 'missing' }, at)).toThrow(/has no tag v1\.0\.0/);
    expect(() => checkTagTarget('v1.0.0', { kind: 'lightweight', commit: 'd'.repeat(40) }, at)).toThrow(/was moved/);
  });

  describe('when the commit to compare with is not a full commit id', () => {
    it.each([
      'HEAD',
      'main',
      'refs/heads/main',
      COMMIT.slice(0, 12),
      COMMIT.toUpperCase(),
      `${COMMIT} `,
      '',
      'g'.repeat(40),
    ])('refuses %j as such (VERIFY_COMMIT_ID_INVALID), never as a moved or missing tag', (commit) => {
      const at = { url: 'https://github.com/acme/hello.git', commit };
      for (const fetched of [{ kind: 'lightweight', commit: COMMIT }, { kind: 'missing' }] as FetchedTag[]) {
        const error = (() => {
          try {
            checkTagTarget('v1.0.0', fetched, at);
          } catch (e) {
            return e;
          }
        })();
        expect(isPhpublishError(error, 'VERIFY_COMMIT_ID_INVALID')).toBe(true);
      }
    });

    it('accepts a SHA-256 commit id', () => {
      const sha256 = 'e'.repeat(64);
      const at = { url: 'https://github.com/acme/hello.git', commit: sha256 };
      expect(checkTagTarget('v1.0.0', { kind: 'lightweight', commit: sha256 }, at)).toContain('eeeeeeeeeeee');
    });
  });
});

describe('checkTagSignature', () => {
  it('accepts a tag signed for this version by a trusted key', async () => {
    const fetched = await signedTag('v1.0.0', signing);
    if (fetched.kind !== 'annotated') throw new Error('annotated');
    const verified = await checkTagSignature('v1.0.0', fetched, { trusted, now: new Date() });
    expect(verified.signer.fingerprint).toBe(maintainer.fingerprint);
    expect(verified.keyExpiredSince).toBe(false);
  });

  it('accepts, with a warning, a signature made before the key expired', async () => {
    const key = await generateTestKey('ed25519', { date: new Date(Date.now() - 3 * DAY), keyExpirationTime: 86_400 });
    const keys = await loadTrustedKeys({ keys: [{ armored: key.armoredPublicKey, source: 'old.asc' }] });
    const signer = await loadSigningKey(
      { armoredKey: key.armoredPrivateKey, keySource: 'test', passphraseSource: 'test' },
      { now: new Date(Date.now() - 2.5 * DAY) },
    );
    const fetched = await signedTag('v1.0.0', signer, new Date(Date.now() - 2.5 * DAY));
    if (fetched.kind !== 'annotated') throw new Error('annotated');
    const verified = await checkTagSignature('v1.0.0', fetched, { trusted: keys, now: new Date() });
    expect(verified.keyExpiredSince).toBe(true);
  });

  it.each<[string, () => Promise<FetchedTag>, ErrorCode]>([
    ['a lightweight tag', async () => ({ kind: 'lightweight', commit: COMMIT }), 'VERIFY_TAG_UNSIGNED'],
    [
      'an annotated tag without a signature',
      async () => ({
        kind: 'annotated',
        oid: 'f'.repeat(40),
        raw: buildTagPayload({ object: COMMIT, tag: 'v1.0.0', tagger: 'A <a@b> 1 +0000', message: 'x' }),
        commit: COMMIT,
      }),
      'VERIFY_TAG_UNSIGNED',
    ],
    [
      'a tag signed by an unknown key',
      async () => signedTag('v1.0.0', await load(await generateTestKey('ed25519'))),
      'VERIFY_TAG_UNTRUSTED_KEY',
    ],
    ['a signed tag of another version', () => signedTag('v0.9.0', signing), 'VERIFY_TAG_NAME_MISMATCH'],
    [
      'a tag edited after signing',
      async () => {
        const tag = await signedTag('v1.0.0', signing);
        if (tag.kind !== 'annotated') throw new Error('annotated');
        return { ...tag, raw: Buffer.from(tag.raw.toString('latin1').replace('Release', 'Relaese'), 'latin1') };
      },
      'VERIFY_TAG_SIGNATURE_BAD',
    ],
    [
      'an SSH-signed tag',
      async () => ({
        kind: 'annotated',
        oid: 'f'.repeat(40),
        raw: Buffer.concat([
          buildTagPayload({ object: COMMIT, tag: 'v1.0.0', tagger: 'A <a@b> 1 +0000', message: 'x' }),
          Buffer.from('-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n'),
        ]),
        commit: COMMIT,
      }),
      'VERIFY_TAG_INVALID',
    ],
    [
      'a tag object that is not one',
      async () => ({ kind: 'annotated', oid: 'f'.repeat(40), raw: Buffer.from('garbage'), commit: COMMIT }),
      'VERIFY_TAG_INVALID',
    ],
  ])('refuses %s', async (_, make, code) => {
    expect(await codeOf('v1.0.0', await make())).toBe(code);
  });

  it('refuses a tag signed by a key that has been revoked', async () => {
    const revoked = await generateRevokedKey();
    const signer = await load(await generateTestKey('ed25519'));
    // The revoked key's public half is trusted; the tag is signed with the same key before revocation.
    const keys = await loadTrustedKeys({ keys: [{ armored: revoked.armoredPublicKey, source: 'revoked.asc' }] });
    const openpgp = await import('../pgp/openpgp.js').then((m) => m.loadOpenPgp());
    const unrevoked = await openpgp.readPrivateKey({ armoredKey: revoked.armoredPrivateKey });
    unrevoked.revocationSignatures = [];
    const tag = await signedTag('v1.0.0', { ...signer, privateKey: unrevoked, fingerprint: revoked.fingerprint });
    expect(await codeOf('v1.0.0', tag, keys)).toBe('VERIFY_KEY_REVOKED');
  });
});
