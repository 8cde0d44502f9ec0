import type { PrivateKey, SecretKeyPacket, SecretSubkeyPacket, Subkey } from 'openpgp';
import { PhpublishError } from '../errors/index.js';
import { fingerprintOf, rsaBits } from './key-info.js';
import { loadOpenPgp } from './openpgp.js';

/** The primary key or one of its subkeys. */
export type KeyPart = PrivateKey | Subkey;

export interface ChooseSigningKeyInput {
  now: Date;
  /**
   * The one part that must sign, asked for with GnuPG's `!` suffix: no other is considered.
   * `selector` is what was asked for, for messages.
   */
  exact?: { fingerprint: string; selector: string };
}

/** Whether a key packet carries (or stands in for) a secret: only those can be stubs or be decrypted. */
export function isSecretPacket(packet: KeyPart['keyPacket']): packet is SecretKeyPacket | SecretSubkeyPacket {
  return 'makeDummy' in packet;
}

/** Why a part cannot sign: a clause for messages, and what kind of reason it is. */
interface Unusable {
  kind: 'no-secret' | 'on-card' | 'unreadable-secret' | 'revoked' | 'expired' | 'not-signing';
  reason: string;
  expiredAt?: Date;
}

/** The kinds where the part may well sign, but its secret is not in this export. */
const SECRET_MISSING: ReadonlySet<Unusable['kind']> = new Set(['no-secret', 'on-card', 'unreadable-secret']);

/**
 * The part of `key` that signs — the one decision that `--check-key`, doctor, preflight and the
 * signature itself all rely on. GnuPG 2.2's rules (getkey.c, finish_lookup): the newest valid
 * signing subkey whose secret is here, else the primary key; with `exact`, that part or nothing.
 * Parts without a usable secret are passed over as GnuPG passes over keys its agent has no secret
 * for: gnu-dummy stubs (what `gpg --export-secret-subkeys` writes for the primary key) and
 * smartcard stubs (gnu-divert-to-card), which openpgp.js would otherwise pick and then fail on.
 * Validity (binding signatures, key flags, expiry, revocation) is openpgp.js's own check, the one
 * it applies again when it signs.
 */
export async function chooseSigningKey(key: PrivateKey, { now, exact }: ChooseSigningKeyInput): Promise<KeyPart> {
  const fingerprint = fingerprintOf(key);
  // Newest first, as openpgp.js and GnuPG order them; the primary key last.
  const subkeys = [...key.subkeys].sort(
    (a, b) =>
      b.getCreationTime().getTime() - a.getCreationTime().getTime() || b.keyPacket.algorithm - a.keyPacket.algorithm,
  );
  const candidates: KeyPart[] = exact
    ? key.getKeys().filter((part) => fingerprintOf(part) === exact.fingerprint)
    : [...subkeys, key];
  const passedOver: string[] = [];
  for (const part of candidates) {
    const unusable = await whyUnusable(key, part, now);
    if (!unusable) return part;
    if (exact) throw exactRefusal(key, part, unusable, exact.selector);
    // Only parts that would sign if they could are worth naming; an encryption subkey is not news.
    if (SECRET_MISSING.has(unusable.kind) || (await claimsSigning(key, part))) {
      passedOver.push(unusable.reason);
    }
  }
  throw new PhpublishError('SIGNING_KEY_CANNOT_SIGN', {
    fingerprint,
    ...(passedOver.length > 0 ? { reasons: passedOver } : {}),
  });
}

async function whyUnusable(key: PrivateKey, part: KeyPart, now: Date): Promise<Unusable | undefined> {
  const label = partLabel(key, part);
  try {
    await key.getSigningKey(part.getKeyID(), now);
  } catch {
    if (await isRevoked(key, part, now)) return { kind: 'revoked', reason: `${label} is revoked` };
    const expiredAt = await expiryOf(part);
    if (expiredAt && expiredAt.getTime() <= now.getTime()) {
      return { kind: 'expired', reason: `${label} expired on ${expiredAt.toISOString()}`, expiredAt };
    }
    const bits = rsaBits(part);
    if (bits !== undefined && bits < 2048) {
      return { kind: 'not-signing', reason: `${label} is RSA ${bits}, under the 2048 bits openpgp.js signs with` };
    }
    return {
      kind: 'not-signing',
      reason: `${label} is not a valid signing key (an encryption key, or one whose self-signature openpgp.js does not accept)`,
    };
  }
  const packet = part.keyPacket;
  if (!isSecretPacket(packet)) return { kind: 'no-secret', reason: `${label} has no secret part` };
  if (packet.isDummy()) {
    const why =
      part === key
        ? '`gpg --export-secret-subkeys` leaves the primary key’s secret out'
        : 'its secret was not exported, or had been deleted from the keyring';
    return { kind: 'no-secret', reason: `${label} is a stub without its secret part (gnu-dummy: ${why})` };
  }
  if (packet.isMissingSecretKeyMaterial()) {
    // openpgp.js keeps GnuPG's other S2K extension (mode 1002) unparsed, as type `gnu`.
    const onCard = (packet as { s2k?: { type?: string } }).s2k?.type === 'gnu';
    return onCard
      ? {
          kind: 'on-card',
          reason: `${label} is a stub whose secret part is on a smartcard (gnu-divert-to-card); phpublish cannot use smartcards`,
        }
      : {
          kind: 'unreadable-secret',
          reason: `${label} has its secret part protected in a way openpgp.js cannot read`,
        };
  }
  return undefined;
}

function exactRefusal(key: PrivateKey, part: KeyPart, unusable: Unusable, selector: string): PhpublishError {
  const fingerprint = fingerprintOf(part);
  const primary = part === key ? undefined : fingerprintOf(key);
  if (unusable.kind === 'expired' && unusable.expiredAt) {
    return new PhpublishError('SIGNING_KEY_EXPIRED', {
      fingerprint,
      expiredAt: unusable.expiredAt.toISOString(),
      ...(primary ? { primary } : {}),
    });
  }
  if (unusable.kind === 'revoked')
    return new PhpublishError('SIGNING_KEY_REVOKED', { fingerprint, ...(primary ? { primary } : {}) });
  return new PhpublishError('SIGNING_KEY_CANNOT_SIGN', {
    fingerprint: fingerprintOf(key),
    requested: selector,
    reasons: [unusable.reason],
  });
}

function partLabel(key: PrivateKey, part: KeyPart): string {
  return part === key ? `the primary key ${fingerprintOf(part)}` : `subkey ${fingerprintOf(part)}`;
}

async function isRevoked(key: PrivateKey, part: KeyPart, now: Date): Promise<boolean> {
  try {
    // Subkey#isRevoked takes the signature to check as first argument; none means "any".
    return part === key
      ? await key.isRevoked(undefined, undefined, now)
      : await (part as Subkey).isRevoked(undefined as never, key.keyPacket, now);
  } catch {
    return false;
  }
}

async function expiryOf(part: KeyPart): Promise<Date | undefined> {
  try {
    const expiry = await part.getExpirationTime();
    return expiry instanceof Date ? expiry : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a part's self-signatures give it the signing flag, whatever its validity now. */
async function claimsSigning(key: PrivateKey, part: KeyPart): Promise<boolean> {
  const { enums } = await loadOpenPgp();
  const signatures =
    part === key ? key.users.flatMap((user) => user.selfCertifications) : (part as Subkey).bindingSignatures;
  return signatures.some((signature) => ((signature.keyFlags?.[0] ?? 0) & enums.keyFlags.signData) !== 0);
}
