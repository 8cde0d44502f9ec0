import type { Key, PrivateKey, Subkey } from 'openpgp';
import { PhpublishError } from '../errors/index.js';
import {
  describeAlgorithm,
  fingerprintOf,
  keyIdOf,
  primaryUserIdOf,
  unsupportedSigningKeyProblem,
} from './key-info.js';
import type { SigningKeyMaterial } from './key-material.js';
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
  /** `Ed25519`, `RSA 3072`. */
  readonly algorithm: string;
  /** The public half, to give to verifiers (GnuPG, sqv, `signing.trustedKeys`). */
  readonly publicKeyArmored: string;
  /** The decrypted openpgp.js key. Only the pgp module signs with it. */
  readonly privateKey: PrivateKey;
}

export interface LoadSigningKeyOptions {
  /** The moment the key must be valid at (expiry, revocation); defaults to now. */
  now?: Date;
}

/**
 * Parses, checks and decrypts a private key. Throws a coded error that says how to fix the key:
 * malformed, public, unsupported by GnuPG 2.2 (v6 keys, RFC 9580 algorithms), revoked, expired,
 * unable to sign, protected without (or with the wrong) passphrase. Neither the key nor the
 * passphrase ever appears in an error, nor in the `cause` of one.
 */
export async function loadSigningKey(
  material: SigningKeyMaterial,
  { now = new Date() }: LoadSigningKeyOptions = {},
): Promise<SigningKey> {
  const openpgp = await loadOpenPgp();
  const { keySource: source } = material;
  if (material.armoredKey.trim() === '') throw new PhpublishError('SIGNING_KEY_EMPTY', { source });

  let keys: Key[];
  try {
    keys = await openpgp.readKeys({ armoredKeys: material.armoredKey });
  } catch (error) {
    // openpgp.js names the problem without quoting the input; the error itself stays out of `cause`
    // in case a future version does quote it.
    throw new PhpublishError('SIGNING_KEY_MALFORMED', { source, problem: describeParseError(error) });
  }
  if (keys.length !== 1) {
    throw new PhpublishError('SIGNING_KEY_MALFORMED', {
      source,
      problem: `it holds ${keys.length} keys; export only the one that signs releases`,
    });
  }
  const key = keys[0]!;
  if (!key.isPrivate()) throw new PhpublishError('SIGNING_KEY_NOT_PRIVATE', { source });
  const fingerprint = fingerprintOf(key);

  if (key.keyPacket.version !== 4) {
    throw new PhpublishError('SIGNING_KEY_UNSUPPORTED', {
      fingerprint,
      problem: unsupportedSigningKeyProblem(key, key)!,
    });
  }
  if (await key.isRevoked(undefined, undefined, now)) {
    throw new PhpublishError('SIGNING_KEY_REVOKED', { fingerprint });
  }
  const expiresAt = await safely(() => key.getExpirationTime());
  if (expiresAt instanceof Date && expiresAt.getTime() <= now.getTime()) {
    throw new PhpublishError('SIGNING_KEY_EXPIRED', { fingerprint, expiredAt: expiresAt.toISOString() });
  }
  let signing: PrivateKey | Subkey;
  try {
    signing = await key.getSigningKey(undefined, now);
  } catch {
    throw new PhpublishError('SIGNING_KEY_CANNOT_SIGN', { fingerprint });
  }
  const unsupported = unsupportedSigningKeyProblem(key, signing);
  if (unsupported) throw new PhpublishError('SIGNING_KEY_UNSUPPORTED', { fingerprint, problem: unsupported });

  const privateKey = await decrypt(key, material, fingerprint);
  return {
    fingerprint,
    keyId: keyIdOf(key),
    signingFingerprint: fingerprintOf(signing),
    signingKeyId: keyIdOf(signing),
    userId: primaryUserIdOf(key),
    userIds: key.getUserIDs(),
    fingerprints: [key, ...key.subkeys].map(fingerprintOf),
    algorithm: describeAlgorithm(signing),
    publicKeyArmored: key.toPublic().armor(),
    privateKey,
  };
}

async function decrypt(key: PrivateKey, material: SigningKeyMaterial, fingerprint: string): Promise<PrivateKey> {
  if (key.isDecrypted()) return key;
  const { passphrase, passphraseSource: source } = material;
  if (passphrase === undefined || passphrase === '') {
    throw new PhpublishError('SIGNING_PASSPHRASE_MISSING', { fingerprint, source, empty: passphrase === '' });
  }
  const openpgp = await loadOpenPgp();
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase });
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
