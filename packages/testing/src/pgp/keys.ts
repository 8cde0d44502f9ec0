/**
 * Test keys, generated with openpgp.js in the test that uses them (never committed, never written
 * to disk). Only for phpublish's own tests.
 */

/** openpgp.js, loaded when a test first needs it (the same version core uses). */
const loadOpenPgp = () => import('openpgp');

export type TestKeyKind = 'ed25519' | 'rsa2048' | 'rsa3072' | 'rsa4096';

export interface TestKey {
  kind: string;
  armoredPrivateKey: string;
  armoredPublicKey: string;
  passphrase?: string;
  fingerprint: string;
  userId: string;
}

export const TEST_SIGNER = { name: 'Alice Maintainer', email: 'alice@phpublish.invalid' } as const;

export interface TestKeyOptions {
  passphrase?: string;
  /** Key creation time (for keys that have expired by now). */
  date?: Date;
  /** Seconds after creation when the key expires. */
  keyExpirationTime?: number;
  userId?: { name: string; email: string };
}

/** A v4 key of a supported kind, optionally protected (with GnuPG-compatible, non-AEAD protection). */
export async function generateTestKey(kind: TestKeyKind, options: TestKeyOptions = {}): Promise<TestKey> {
  const openpgp = await loadOpenPgp();
  const userId = options.userId ?? TEST_SIGNER;
  const algorithm =
    kind === 'ed25519'
      ? ({ type: 'ecc', curve: 'ed25519Legacy' } as const)
      : ({ type: 'rsa', rsaBits: Number(kind.slice(3)) } as const);
  const { privateKey, publicKey } = await openpgp.generateKey({
    ...algorithm,
    userIDs: [userId],
    format: 'armored',
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    ...(options.date ? { date: options.date } : {}),
    ...(options.keyExpirationTime ? { keyExpirationTime: options.keyExpirationTime } : {}),
    config: { aeadProtect: false, v6Keys: false },
  });
  return describe(`${kind}${options.passphrase ? ' with passphrase' : ''}`, privateKey, publicKey, options.passphrase);
}

/** An RFC 9580 key: `v6: true` for a v6 key, else a v4 key with the new Ed25519 algorithm (27). */
export async function generateRfc9580Key({ v6 }: { v6: boolean }): Promise<TestKey> {
  const openpgp = await loadOpenPgp();
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'curve25519',
    userIDs: [TEST_SIGNER],
    format: 'armored',
    config: { v6Keys: v6 },
  });
  return describe(v6 ? 'v6 curve25519' : 'v4 Ed25519 (algorithm 27)', privateKey, publicKey);
}

/** A key that expired a day ago. */
export async function generateExpiredKey(): Promise<TestKey> {
  const key = await generateTestKey('ed25519', {
    date: new Date(Date.now() - 3 * 86_400_000),
    keyExpirationTime: 86_400,
  });
  return { ...key, kind: 'expired' };
}

/**
 * A key's material under a new self-signature of TEST_SIGNER, made at `date`, that never expires
 * (an expired key's twin signs "after" its expiry). Armored, unprotected.
 */
export async function reformatWithoutExpiry(key: TestKey, date: Date): Promise<string> {
  const openpgp = await loadOpenPgp();
  const { privateKey } = await openpgp.reformatKey({
    privateKey: await openpgp.readPrivateKey({ armoredKey: key.armoredPrivateKey }),
    userIDs: [TEST_SIGNER],
    keyExpirationTime: 0,
    date,
    format: 'armored',
    config: { aeadProtect: false, v6Keys: false },
  });
  return privateKey;
}

/** A key revoked with its own revocation signature. */
export async function generateRevokedKey(): Promise<TestKey> {
  const openpgp = await loadOpenPgp();
  const key = await generateTestKey('ed25519');
  const { privateKey, publicKey } = await openpgp.revokeKey({
    key: await openpgp.readPrivateKey({ armoredKey: key.armoredPrivateKey }),
    format: 'armored',
  });
  return describe('revoked', privateKey!, publicKey);
}

/**
 * A key that can certify and encrypt but not sign: the primary's self-signature is re-made with the
 * certify flag only, and its subkey is the usual encryption subkey.
 */
export async function generateEncryptionOnlyKey(): Promise<TestKey> {
  const openpgp = await loadOpenPgp();
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [TEST_SIGNER],
    format: 'object',
  });
  const user = privateKey.users[0]!;
  const selfSignature = user.selfCertifications[0]!;
  selfSignature.keyFlags = new Uint8Array([openpgp.enums.keyFlags.certifyKeys]);
  // `sign` takes a config as fifth argument at runtime (its type stops at four): without it,
  // re-signing trips over the salt notation the first signature already carries.
  const resign = selfSignature.sign.bind(selfSignature) as (...args: unknown[]) => Promise<void>;
  await resign(privateKey.keyPacket, { userID: user.userID, key: privateKey.keyPacket }, new Date(), false, {
    ...openpgp.config,
    nonDeterministicSignaturesViaNotation: false,
  });
  return describe('encryption-only', privateKey.armor(), privateKey.toPublic().armor());
}

async function describe(
  kind: string,
  armoredPrivateKey: string,
  armoredPublicKey: string,
  passphrase?: string,
): Promise<TestKey> {
  const openpgp = await loadOpenPgp();
  const key = await openpgp.readKey({ armoredKey: armoredPublicKey });
  return {
    kind,
    armoredPrivateKey,
    armoredPublicKey,
    ...(passphrase === undefined ? {} : { passphrase }),
    fingerprint: key.getFingerprint().toUpperCase(),
    userId: key.getUserIDs()[0] ?? '',
  };
}
