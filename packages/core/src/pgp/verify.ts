import type { PublicKey, Signature } from 'openpgp';
import { fingerprintOf, keyIdOf, primaryUserIdOf } from './key-info.js';
import { loadOpenPgp } from './openpgp.js';
import { describeParseError } from './signing-key.js';
import type { TrustedKey, TrustedKeys, TrustLevel } from './trusted-keys.js';

/** What a signature says about itself (readable without any key). */
export interface SignatureFacts {
  /** The issuer key ID (16 hex digits) — of the subkey, when a subkey signed. */
  issuerKeyId: string;
  issuerFingerprint?: string;
  created: Date;
  version: number;
  publicKeyAlgorithm: number;
  hashAlgorithm: number;
  signatureClass: number;
}

/** The trusted key that a signature was checked against. */
export interface SignerFacts {
  fingerprint: string;
  keyId: string;
  /** The (sub)key that made the signature. */
  signingFingerprint: string;
  signingKeyId: string;
  userId: string;
  trust: TrustLevel;
}

export type SignatureVerification =
  /** Made by a trusted key over exactly these bytes. `keyExpired`: the key has expired since. */
  | { status: 'good'; signature: SignatureFacts; signer: SignerFacts; keyExpired: boolean }
  /** Made by a trusted key, but not over these bytes (or not validly). */
  | { status: 'bad'; signature: SignatureFacts; signer: SignerFacts; reason: string }
  /** Made by a trusted key that has since been revoked; `valid` says whether the bytes match. */
  | { status: 'revoked-key'; signature: SignatureFacts; signer: SignerFacts; valid: boolean }
  /** Made by no trusted key. */
  | { status: 'no-public-key'; signature: SignatureFacts }
  /** Not a readable detached signature. */
  | { status: 'malformed'; problem: string };

export interface VerifyDetachedInput {
  data: Uint8Array;
  armoredSignature: string;
  trusted: TrustedKeys;
  /** When validity is judged (signature not from the future, key not revoked); defaults to now. */
  now?: Date;
}

/**
 * Checks a detached signature over exactly `data` against the trusted keys. Never throws for a
 * signature problem: every outcome is a status, which callers turn into GnuPG status lines or
 * coded errors.
 */
export async function verifyDetached({
  data,
  armoredSignature,
  trusted,
  now = new Date(),
}: VerifyDetachedInput): Promise<SignatureVerification> {
  const openpgp = await loadOpenPgp();
  let signature: Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature });
  } catch (error) {
    return { status: 'malformed', problem: describeParseError(error) };
  }
  // Several signatures would need one verdict each (GnuPG prints one NEWSIG per signature, and git
  // then reports an error); release tags carry exactly one.
  if (signature.packets.length !== 1) {
    return { status: 'malformed', problem: `it holds ${signature.packets.length} signatures instead of one` };
  }
  const packet = signature.packets[0]!;
  const facts: SignatureFacts = {
    issuerKeyId: packet.issuerKeyID.toHex().toUpperCase(),
    ...(packet.issuerFingerprint
      ? { issuerFingerprint: Buffer.from(packet.issuerFingerprint).toString('hex').toUpperCase() }
      : {}),
    created: packet.created ?? new Date(0),
    version: packet.version,
    publicKeyAlgorithm: Number(packet.publicKeyAlgorithm),
    hashAlgorithm: Number(packet.hashAlgorithm),
    signatureClass: Number(packet.signatureType),
  };
  // Only signatures of documents (binary 0x00, text 0x01); a key certification or any other class
  // over these bytes means something else entirely.
  if (facts.signatureClass !== 0 && facts.signatureClass !== 1) {
    return { status: 'malformed', problem: `it is not a document signature (class 0x${hex2(facts.signatureClass)})` };
  }

  const match = findSigner(trusted.keys, facts);
  if (!match) return { status: 'no-public-key', signature: facts };
  const { trustedKey, signingKey } = match;
  const signer: SignerFacts = {
    fingerprint: trustedKey.fingerprint,
    keyId: keyIdOf(trustedKey.key),
    signingFingerprint: fingerprintOf(signingKey),
    signingKeyId: keyIdOf(signingKey),
    userId: primaryUserIdOf(trustedKey.key),
    trust: trustedKey.trust,
  };

  if (await isRevoked(trustedKey.key, signer.signingKeyId, now)) {
    // Like GnuPG (REVKEYSIG), still say whether the bytes match: checked against a copy of the key
    // without its revocations. Callers reject the signature either way.
    const unrevoked = await withoutRevocations(trustedKey.key);
    const outcome = await check(unrevoked, data, signature, now);
    return { status: 'revoked-key', signature: facts, signer, valid: outcome === true };
  }
  const outcome = await check(trustedKey.key, data, signature, now);
  if (outcome !== true) return { status: 'bad', signature: facts, signer, reason: outcome };
  const expiresAt = await trustedKey.key.getExpirationTime().catch(() => null);
  const keyExpired = expiresAt instanceof Date && expiresAt.getTime() <= now.getTime();
  return { status: 'good', signature: facts, signer, keyExpired };
}

function findSigner(
  keys: readonly TrustedKey[],
  facts: SignatureFacts,
): { trustedKey: TrustedKey; signingKey: ReturnType<PublicKey['getKeys']>[number] } | undefined {
  for (const trustedKey of keys) {
    for (const candidate of trustedKey.key.getKeys()) {
      const fingerprint = fingerprintOf(candidate);
      const sameKey = facts.issuerFingerprint
        ? facts.issuerFingerprint === fingerprint
        : keyIdOf(candidate) === facts.issuerKeyId;
      if (sameKey) return { trustedKey, signingKey: candidate };
    }
  }
  return undefined;
}

/** `true`, or openpgp.js's reason for rejecting the signature. */
async function check(key: PublicKey, data: Uint8Array, signature: Signature, now: Date): Promise<true | string> {
  const openpgp = await loadOpenPgp();
  try {
    // A fresh message for each check (openpgp.js caches a text view of a message it has read).
    const message = await openpgp.createMessage({ binary: data });
    const result = await openpgp.verify({ message, signature, verificationKeys: [key], date: now, format: 'binary' });
    return await result.signatures[0]!.verified;
  } catch (error) {
    return describeParseError(error);
  }
}

async function isRevoked(key: PublicKey, signingKeyId: string, now: Date): Promise<boolean> {
  if (await key.isRevoked(undefined, undefined, now)) return true;
  const subkey = key.subkeys.find((s) => keyIdOf(s) === signingKeyId);
  if (!subkey) return false;
  const binding = await subkey.verify(now).catch(() => undefined);
  if (!binding) return subkey.revocationSignatures.length > 0;
  return subkey.isRevoked(binding, key.keyPacket, now);
}

async function withoutRevocations(key: PublicKey): Promise<PublicKey> {
  const openpgp = await loadOpenPgp();
  const copy = await openpgp.readKey({ binaryKey: key.write() });
  copy.revocationSignatures = [];
  for (const subkey of copy.subkeys) subkey.revocationSignatures = [];
  return copy;
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
