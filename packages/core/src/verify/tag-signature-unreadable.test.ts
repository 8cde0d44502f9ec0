import { generateTestKey } from '@phpublish/testing/pgp';
import { describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { buildTagPayload } from '../git/tag-object.js';
import { loadTrustedKeys } from '../pgp/trusted-keys.js';
import { checkTagSignature } from './tag-checks.js';

// A tag whose OpenPGP signature block is there but cannot be read (cut off, not base64, not a
// signature packet): refused as an invalid tag, saying why, never taken for unsigned or verified.

const COMMIT = 'c'.repeat(40);

function tagWithSignatureBlock(block: string) {
  const payload = buildTagPayload({ object: COMMIT, tag: 'v1.0.0', tagger: 'A <a@b> 1700000000 +0000', message: 'x' });
  return {
    kind: 'annotated' as const,
    oid: 'f'.repeat(40),
    raw: Buffer.concat([payload, Buffer.from(block)]),
    commit: COMMIT,
  };
}

describe('when the tag’s signature block cannot be read', () => {
  it.each([
    ['not base64', '-----BEGIN PGP SIGNATURE-----\n\n!!!! not base64 !!!!\n-----END PGP SIGNATURE-----\n'],
    ['no packet at all', '-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n'],
    ['a public key instead of a signature', undefined],
  ])('refuses it with VERIFY_TAG_INVALID (%s)', async (_what, block) => {
    const key = await generateTestKey('ed25519');
    const trusted = await loadTrustedKeys({ keys: [{ armored: key.armoredPublicKey, source: 'maintainer.asc' }] });
    const text = block ?? key.armoredPublicKey.replaceAll('PUBLIC KEY BLOCK', 'SIGNATURE');
    const error = await checkTagSignature('v1.0.0', tagWithSignatureBlock(text), { trusted, now: new Date() }).catch(
      (e: unknown) => e,
    );
    expect(isPhpublishError(error, 'VERIFY_TAG_INVALID')).toBe(true);
    expect(String(error)).toMatch(/signature cannot be read/);
  });
});
