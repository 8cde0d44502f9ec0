import type { Key, PrivateKey, SecretKeyPacket, SecretSubkeyPacket } from 'openpgp';
import { PhpublishError } from '../errors/index.js';
import { chooseSigningKey, isSecretPacket, type KeyPart } from './choose-signing-key.js';
import {
  describeAlgorithm,
  fingerprintOf,
  keyIdOf,
  primaryUserIdOf,
  unsupportedPrimaryKeyProblem,
  unsupportedSigningKeyProblem,
} from './key-info.js';
import { inspectSigningKeyText, type SigningKeyMaterial } from './key-material.js';
import { fingerprintNamedBy, parseKeySelector } from './key-selector.js';
import { loadOpenPgp } from './openpgp.js';

/** A private key that has passed every check and is ready to sign. Holds no armored text. */
export interface SigningKey {
  /** Primary key fingerprint (upper-case hex), the identity people trust. */
  readonly fingerprint: string;
  /** Primary key ID (16 hex digits). */
  readonly keyId: string;
  /** The (sub)key that makes signatures; equals `fingerprint` when the primary key signs. */
  readonly signingFingerprint: string;
  readonly signingKeyId: string;
  /** The primary user ID, e.g. `Alice <alice@example.org>`. */
  readonly userId: string;
  readonly userIds: readonly string[];
  /** Every key and subkey fingerprint (for matching `-u <key>` selectors). */
  readonly fingerprints: readonly string[];
  /** Of the signing (sub)key: `Ed25519`, `RSA 3072`. */
  readonly algorithm: string;
  /** The public half, to give to verifiers (GnuPG, sqv, `signing.trustedKeys`). */
  readonly publicKeyArmored: string;
  /**
   * The decrypted openpgp.js key. Only the signing (sub)key keeps its secret; the other parts are
   * stubs. Only the pgp module signs with it, always with `signingKeyId`.
   */
  readonly privateKey: PrivateKey;
  /** What the log should say about the key (a byte order mark dropped, an unused passphrase). */
  readonly notices: readonly string[];
}

export interface LoadSigningKeyOptions {
  /** The moment the key must be valid at (expiry, revocation); defaults to now. */
  now?: Date;
  /**
   * Which key git asked for (`-u`, from `user.signingKey`). A fingerprint or key ID of another key
   * is refused; one with GnuPG's `!` suffix makes exactly that (sub)key sign, or nothing.
   */
  selector?: string;
}

/**
 * Parses, checks and decrypts a private key, and decides which part of it signs. Throws a coded
 * error that says how to fix the key: malformed, ambiguous, public, unsupported by GnuPG 2.2 (v6
 * keys, RFC 9580 algorithms), revoked, expired, unable to sign (stubs, smartcards, encryption
 * only), protected without (or with the wrong) passphrase. Neither the key nor the passphrase
 * ever appears in an error, nor in the `cause` of one.
 */
export async function loadSigningKey(
  material: SigningKeyMaterial,
  { now = new Date(), selector }: LoadSigningKeyOptions = {},
): Promise<SigningKey> {
  const openpgp = await loadOpenPgp();
  const { keySource: source } = material;
  // Again here, for callers that pass text without readSigningKeyMaterial; a no-op otherwise.
  const inspected = inspectSigningKeyText(material.armoredKey, source);
  if (inspected.problems[0]) throw inspected.problems[0];
  const notices = [...(material.notices ?? []), ...inspected.notices];

  let keys: Key[];
  try {
    keys = await openpgp.readKeys({ armoredKeys: inspected.armoredKey! });
  } catch (error) {
    // openpgp.js names the problem without quoting the input; the error itself stays out of `cause`
    // in case a future version does quote it.
    throw new PhpublishError('SIGNING_KEY_MALFORMED', { source, problem: describeParseError(error) });
  }
  if (keys.length !== 1) {
    throw new PhpublishError('SIGNING_KEY_AMBIGUOUS', {
      source,
      count: keys.length,
      what: 'keys in one block',
      fingerprints: keys.map(fingerprintOf),
    });
  }
  const key = keys[0]!;
  if (!key.isPrivate()) throw new PhpublishError('SIGNING_KEY_NOT_PRIVATE', { source });
  const fingerprint = fingerprintOf(key);
  const fingerprints = [key, ...key.subkeys].map(fingerprintOf);

  const primaryProblem = unsupportedPrimaryKeyProblem(key);
  if (primaryProblem) throw new PhpublishError('SIGNING_KEY_UNSUPPORTED', { fingerprint, problem: primaryProblem });
  const exact = selector === undefined ? undefined : exactPart(key, fingerprints, selector);
  if (await key.isRevoked(undefined, undefined, now)) {
    throw new PhpublishError('SIGNING_KEY_REVOKED', { fingerprint });
  }
  const expiresAt = await safely(() => key.getExpirationTime());
  if (expiresAt instanceof Date && expiresAt.getTime() <= now.getTime()) {
    throw new PhpublishError('SIGNING_KEY_EXPIRED', { fingerprint, expiredAt: expiresAt.toISOString() });
  }
  const signing = await chooseSigningKey(key, { now, ...(exact ? { exact } : {}) });
  const unsupported = unsupportedSigningKeyProblem(key, signing);
  if (unsupported) throw new PhpublishError('SIGNING_KEY_UNSUPPORTED', { fingerprint, problem: unsupported });

  const unlocked = await unlock(key, signing, material, fingerprint);
  return {
    fingerprint,
    keyId: keyIdOf(key),
    signingFingerprint: fingerprintOf(signing),
    signingKeyId: keyIdOf(signing),
    userId: primaryUserIdOf(key),
    userIds: key.getUserIDs(),
    fingerprints,
    algorithm: describeAlgorithm(signing),
    publicKeyArmored: key.toPublic().armor(),
    privateKey: unlocked.privateKey,
    notices: [...new Set([...notices, ...unlocked.notices])],
  };
}

/**
 * The part a selector asks for exactly (`<fingerprint or key ID>!`), if it does. A fingerprint or
 * key ID of another key is refused here, before anything is decrypted.
 */
function exactPart(
  key: PrivateKey,
  fingerprints: readonly string[],
  selector: string,
): { fingerprint: string; selector: string } | undefined {
  const parsed = parseKeySelector(selector);
  if (parsed.kind !== 'key-id') return undefined;
  const named = fingerprintNamedBy(fingerprints, parsed);
  if (!named) {
    throw new PhpublishError('SIGNING_KEY_MISMATCH', {
      requested: selector,
      fingerprint: fingerprintOf(key),
      userId: primaryUserIdOf(key),
    });
  }
  return parsed.exact ? { fingerprint: named, selector } : undefined;
}

/**
 * Decrypts the signing part, and only it: the other parts become stubs first, so that a stub or a
 * smartcard key elsewhere in the export cannot break decryption, and no secret that is not used
 * stays in memory.
 */
async function unlock(
  key: PrivateKey,
  signing: KeyPart,
  material: SigningKeyMaterial,
  fingerprint: string,
): Promise<{ privateKey: PrivateKey; notices: string[] }> {
  for (const part of key.getKeys()) {
    if (part !== signing && isSecretPacket(part.keyPacket)) part.keyPacket.makeDummy();
  }
  const packet = signing.keyPacket;
  if (!isSecretPacket(packet)) throw new PhpublishError('SIGNING_KEY_CANNOT_SIGN', { fingerprint });
  const { passphrase, passphraseSource } = material;
  if (packet.isDecrypted()) {
    await validate(packet, material);
    const notices =
      passphrase === undefined || passphrase === ''
        ? []
        : [
            `${passphraseSource} is set, but the key ${fingerprint} is not protected by a passphrase; the passphrase was not used`,
          ];
    return { privateKey: key, notices };
  }
  if (passphrase === undefined || passphrase === '') {
    throw new PhpublishError('SIGNING_PASSPHRASE_MISSING', {
      fingerprint,
      source: passphraseSource,
      empty: passphrase === '',
    });
  }
  const openpgp = await loadOpenPgp();
  try {
    return { privateKey: await openpgp.decryptKey({ privateKey: key, passphrase }), notices: [] };
  } catch (error) {
    if (/passphrase/i.test(String((error as Error)?.message))) {
      throw new PhpublishError('SIGNING_PASSPHRASE_WRONG', { fingerprint });
    }
    throw new PhpublishError('SIGNING_KEY_MALFORMED', {
      source: material.keySource,
      problem: `its secret part cannot be decrypted (${describeParseError(error)})`,
    });
  }
}

/** An unprotected secret that does not match its public part would make signatures nobody can verify. */
async function validate(packet: SecretKeyPacket | SecretSubkeyPacket, material: SigningKeyMaterial): Promise<void> {
  try {
    await packet.validate();
  } catch {
    throw new PhpublishError('SIGNING_KEY_MALFORMED', {
      source: material.keySource,
      problem: 'its secret part does not match its public part',
    });
  }
}

async function safely<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

/** openpgp.js's reason, first line only and without its "Error …:" prefixes, lower-cased for a sentence. */
export function describeParseError(error: unknown): string {
  const text = String((error as Error)?.message ?? error)
    .split('\n')[0]!
    .replace(/^(Error[^:]*: )+/, '')
    .slice(0, 160);
  const reason = text.charAt(0).toLowerCase() + text.slice(1);
  return reason.replace(/\.$/, '') || 'it could not be parsed';
}
