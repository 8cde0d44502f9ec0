import { PhpublishError } from '../errors/index.js';
import { parseTagObject, type TagObject, TagObjectProblem } from '../git/tag-object.js';
import { isCommitId } from '../packagist/version.js';
import { fingerprintOf } from '../pgp/key-info.js';
import type { TrustedKeys } from '../pgp/trusted-keys.js';
import { type SignatureFacts, type SignerFacts, verifyDetached } from '../pgp/verify.js';
import type { FetchedTag } from './fetch-tag.js';

/**
 * The tag exists and points at the commit that would be installed. A commit given as anything but
 * a full commit id (`HEAD`, a branch, a short id) cannot be compared: that is refused as such,
 * never reported as a moved tag.
 */
export function checkTagTarget(tag: string, fetched: FetchedTag, input: { url: string; commit: string }): string {
  if (typeof input.commit !== 'string' || !isCommitId(input.commit)) {
    throw new PhpublishError('VERIFY_COMMIT_ID_INVALID', { tag, commit: String(input.commit) });
  }
  if (fetched.kind === 'missing') {
    throw new PhpublishError('VERIFY_TAG_MISSING', { tag, url: input.url, commit: input.commit });
  }
  if (fetched.commit !== input.commit) {
    throw new PhpublishError('VERIFY_TAG_MOVED', { tag, expected: input.commit, actual: fetched.commit });
  }
  return `${tag} → ${fetched.commit.slice(0, 12)} in ${input.url}`;
}

export interface VerifiedTagSignature {
  signer: SignerFacts;
  signature: SignatureFacts;
  /** The key has expired since it signed: the signature stays good, as for GnuPG (EXPKEYSIG). */
  keyExpiredSince: boolean;
}

/**
 * The tag is an annotated tag, signed over exactly its bytes by a key the policy trusts, that was
 * valid (not expired, not revoked) when it signed, and the signed tag names this version.
 */
export async function checkTagSignature(
  tag: string,
  fetched: Exclude<FetchedTag, { kind: 'missing' }>,
  input: { trusted: TrustedKeys; now: Date },
): Promise<VerifiedTagSignature> {
  if (fetched.kind === 'lightweight') throw new PhpublishError('VERIFY_TAG_UNSIGNED', { tag, lightweight: true });
  let object: TagObject;
  try {
    object = parseTagObject(fetched.raw);
  } catch (error) {
    if (error instanceof TagObjectProblem) {
      throw new PhpublishError('VERIFY_TAG_INVALID', { tag, problem: error.message }, { cause: error });
    }
    throw error;
  }
  if (!object.signature) throw new PhpublishError('VERIFY_TAG_UNSIGNED', { tag, lightweight: false });
  if (object.signatureFormat !== 'openpgp') {
    throw new PhpublishError('VERIFY_TAG_INVALID', {
      tag,
      problem: `it is signed with ${object.signatureFormat === 'ssh' ? 'an SSH key' : 'X.509'}, not OpenPGP`,
    });
  }
  const result = await verifyDetached({
    data: object.payload,
    armoredSignature: object.signature,
    trusted: input.trusted,
    now: input.now,
  });
  switch (result.status) {
    case 'malformed':
      throw new PhpublishError('VERIFY_TAG_INVALID', {
        tag,
        problem: `its signature cannot be read: ${result.problem}`,
      });
    case 'no-public-key':
      throw new PhpublishError('VERIFY_TAG_UNTRUSTED_KEY', {
        tag,
        keyId: result.signature.issuerFingerprint ?? result.signature.issuerKeyId,
      });
    case 'revoked-key':
      throw new PhpublishError('VERIFY_KEY_REVOKED', { tag, fingerprint: result.signer.fingerprint });
    case 'bad': {
      const expiredAt = await expiryOf(input.trusted, result.signer, result.signature.created);
      if (expiredAt && expiredAt.getTime() <= result.signature.created.getTime()) {
        throw new PhpublishError('VERIFY_KEY_EXPIRED_AT_SIGNING', {
          tag,
          fingerprint: result.signer.fingerprint,
          expiredAt: expiredAt.toISOString(),
          signedAt: result.signature.created.toISOString(),
        });
      }
      throw new PhpublishError('VERIFY_TAG_SIGNATURE_BAD', { tag, keyId: result.signer.signingKeyId });
    }
  }
  // Only meaningful once the bytes are known to be authentic: a signed v1.0.0 renamed v2.0.0.
  if (object.tag !== tag) throw new PhpublishError('VERIFY_TAG_NAME_MISMATCH', { tag, signedFor: object.tag });
  return { signer: result.signer, signature: result.signature, keyExpiredSince: result.keyExpired };
}

/** When the signing key (or the primary key above it) expires; undefined when it never does. */
async function expiryOf(trusted: TrustedKeys, signer: SignerFacts, signedAt: Date): Promise<Date | undefined> {
  const trustedKey = trusted.keys.find((k) => k.fingerprint === signer.fingerprint);
  if (!trustedKey) return undefined;
  const dates: Date[] = [];
  const primary = await trustedKey.key.getExpirationTime().catch(() => null);
  if (primary instanceof Date) dates.push(primary);
  const subkey = trustedKey.key.subkeys.find((s) => fingerprintOf(s) === signer.signingFingerprint);
  if (subkey) {
    const own = await subkey.getExpirationTime(signedAt).catch(() => null);
    if (own instanceof Date) dates.push(own);
  }
  return dates.length === 0 ? undefined : new Date(Math.min(...dates.map((d) => d.getTime())));
}
