import type { Key, Subkey } from 'openpgp';

/** Fingerprints and key IDs are shown as GnuPG shows them: upper-case hex, no spaces. */
export function fingerprintOf(key: Key | Subkey): string {
  return key.getFingerprint().toUpperCase();
}

export function keyIdOf(key: Key | Subkey): string {
  return key.getKeyID().toHex().toUpperCase();
}

/**
 * Normalizes a fingerprint as users write it (`0x…`, spaces, lower case, GnuPG's `!` suffix) to
 * upper-case hex; `undefined` when it is not 40 hex digits (a v4 fingerprint).
 */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.replace(/\s+/g, '').replace(/^0x/i, '').replace(/!$/, '').toUpperCase();
  return /^[0-9A-F]{40}$/.test(hex) ? hex : undefined;
}

/** The first user ID, as text, for messages and GnuPG's status lines. */
export function primaryUserIdOf(key: Key): string {
  return key.getUserIDs()[0] ?? '';
}

/** A short name for the algorithm of a key, as people say it: `Ed25519`, `RSA 3072`. */
export function describeAlgorithm(key: Key | Subkey): string {
  const info = key.getAlgorithmInfo();
  if (info.algorithm === 'eddsaLegacy') return info.curve === 'ed25519Legacy' ? 'Ed25519' : `EdDSA ${info.curve}`;
  if (info.algorithm === 'rsaEncryptSign' || info.algorithm === 'rsaSign') return `RSA ${info.bits}`;
  if (info.algorithm === 'ed25519') return 'Ed25519 (RFC 9580)';
  if (info.algorithm === 'ed448') return 'Ed448 (RFC 9580)';
  return info.curve ? `${info.algorithm} ${info.curve}` : `${info.algorithm}${info.bits ? ` ${info.bits}` : ''}`;
}

/**
 * Why GnuPG 2.2 could not verify signatures by this (sub)key, or undefined when it can. What is
 * supported is what the project tests end to end: v4 keys with Ed25519 (the "legacy" EdDSA
 * encoding, algorithm 22) or RSA of 2048 to 4096 bits.
 */
export function unsupportedSigningKeyProblem(primary: Key, signing: Key | Subkey): string | undefined {
  const primaryProblem = unsupportedPrimaryKeyProblem(primary);
  if (primaryProblem) return primaryProblem;
  if (signing.keyPacket.version !== 4) {
    return `its signing subkey is a v${signing.keyPacket.version} key (RFC 9580); GnuPG 2.2 cannot import it`;
  }
  const info = signing.getAlgorithmInfo();
  if (info.algorithm === 'eddsaLegacy' && info.curve === 'ed25519Legacy') return undefined;
  const bits = rsaBits(signing);
  if (bits !== undefined) {
    if (bits >= 2048 && bits <= 4096) return undefined;
    return `its signing key is RSA ${bits}; supported RSA keys have 2048 to 4096 bits`;
  }
  if (info.algorithm === 'ed25519' || info.algorithm === 'ed448') {
    return `its signing key uses the RFC 9580 ${info.algorithm === 'ed25519' ? 'Ed25519' : 'Ed448'} algorithm (${info.algorithm === 'ed25519' ? 27 : 28}), which GnuPG 2.2 reports as an unknown algorithm`;
  }
  return `its signing key uses ${describeAlgorithm(signing)}; supported are Ed25519 and RSA 2048–4096`;
}

/**
 * Why no part of this key can sign, whatever its subkeys: a v6 primary key (GnuPG 2.2 cannot import
 * it), or an RSA primary key under 2048 bits (openpgp.js refuses to sign with it or with any subkey
 * it certified). Undefined when the primary key itself is fine.
 */
export function unsupportedPrimaryKeyProblem(primary: Key): string | undefined {
  if (primary.keyPacket.version !== 4) {
    return `it is an OpenPGP v${primary.keyPacket.version} key (RFC 9580); GnuPG 2.2 cannot even import it`;
  }
  const bits = rsaBits(primary);
  if (bits !== undefined && bits < 2048) {
    return `its primary key is RSA ${bits}, which openpgp.js signs with neither it nor its subkeys; supported RSA keys have 2048 to 4096 bits`;
  }
  return undefined;
}

/** The size of an RSA (sub)key, or undefined when it is not RSA. */
export function rsaBits(key: Key | Subkey): number | undefined {
  const info = key.getAlgorithmInfo();
  return info.algorithm === 'rsaEncryptSign' || info.algorithm === 'rsaSign' ? (info.bits ?? 0) : undefined;
}
