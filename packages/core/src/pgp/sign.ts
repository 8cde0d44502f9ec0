import { fingerprintOf } from './key-info.js';
import { loadOpenPgp, PLAIN_SIGNATURES } from './openpgp.js';
import type { SigningKey } from './signing-key.js';

/** A detached signature and the facts GnuPG reports about it (`SIG_CREATED`). */
export interface DetachedSignature {
  /** `-----BEGIN PGP SIGNATURE-----` … `-----END PGP SIGNATURE-----\n`, like `gpg -bsa`. */
  armored: string;
  created: Date;
  /** OpenPGP algorithm numbers: 22 = EdDSA, 1 = RSA; 8 = SHA-256, 10 = SHA-512. */
  publicKeyAlgorithm: number;
  hashAlgorithm: number;
  /** 0x00: a signature of a binary document, the kind git makes. */
  signatureClass: number;
  /** The (sub)key that signed. */
  signingFingerprint: string;
}

export interface SignOptions {
  /** Creation time of the signature; defaults to now. */
  now?: Date;
}

/**
 * Signs exactly `data` (no line-ending conversion) with a detached, armored, binary-document
 * signature — what `gpg --detach-sign --armor` makes and what git stores in a signed tag.
 */
export async function signDetached(
  key: SigningKey,
  data: Uint8Array,
  { now = new Date() }: SignOptions = {},
): Promise<DetachedSignature> {
  const openpgp = await loadOpenPgp();
  // A fresh message each time: openpgp.js turns a message it has once read as text into a text
  // signature (class 0x01), which would sign normalized line endings instead of the bytes.
  const message = await openpgp.createMessage({ binary: data });
  // The part loadSigningKey chose, named: left to itself openpgp.js picks the newest signing
  // subkey, even one whose secret is not there.
  const signingPart = key.privateKey.getKeys().find((part) => fingerprintOf(part) === key.signingFingerprint);
  const armored = await openpgp.sign({
    message,
    signingKeys: key.privateKey,
    ...(signingPart ? { signingKeyIDs: signingPart.getKeyID() } : {}),
    detached: true,
    format: 'armored',
    date: now,
    config: PLAIN_SIGNATURES,
  });
  const packet = (await openpgp.readSignature({ armoredSignature: armored })).packets[0]!;
  return {
    armored: armored.endsWith('\n') ? armored : `${armored}\n`,
    created: packet.created ?? now,
    publicKeyAlgorithm: Number(packet.publicKeyAlgorithm),
    hashAlgorithm: Number(packet.hashAlgorithm),
    signatureClass: Number(packet.signatureType),
    signingFingerprint: packet.issuerFingerprint
      ? Buffer.from(packet.issuerFingerprint).toString('hex').toUpperCase()
      : key.signingFingerprint,
  };
}
