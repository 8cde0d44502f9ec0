import type { Key, PublicKey } from 'openpgp';
import { PhpublishError } from '../errors/index.js';
import { armorKind } from './armor.js';
import { fingerprintOf, normalizeFingerprint } from './key-info.js';
import { readKeyText } from './key-text.js';
import { loadOpenPgp } from './openpgp.js';
import { describeParseError } from './signing-key.js';

/** How much a key is trusted, in GnuPG's words (`TRUST_ULTIMATE`, `TRUST_FULLY`). */
export type TrustLevel = 'ultimate' | 'full';

export interface TrustedKey {
  readonly key: PublicKey;
  /** Primary key fingerprint, upper-case hex. */
  readonly fingerprint: string;
  readonly trust: TrustLevel;
}

/** The keys a signature may be made by to be accepted. */
export interface TrustedKeys {
  readonly keys: readonly TrustedKey[];
  /** How many keys were given before fingerprint pinning: 0 means nothing could ever verify. */
  readonly given: number;
}

export interface TrustedKeySource {
  /**
   * One or more public keys: armored text, or a file's bytes (armored, or a binary export such as
   * `gpg --export <fingerprint> > key.gpg`). Text read from a binary file is refused with a reason.
   */
  armored: string | Uint8Array;
  /** What to call it in errors, e.g. `signing.trustedKeys[0]`. */
  source: string;
  /** `ultimate` for our own signing key (as GnuPG treats keys it holds the secret of); default `full`. */
  trust?: TrustLevel;
  /**
   * Only for our own signing key, whose public half verifies our own tags. Anywhere else a private
   * key is refused (TRUSTED_KEY_PRIVATE): a secret stored where public keys go has leaked.
   */
  privateKeyAllowed?: boolean;
}

export interface LoadTrustedKeysInput {
  keys: readonly TrustedKeySource[];
  /** When not empty, only keys with one of these primary fingerprints are trusted. */
  fingerprints?: readonly string[];
}

/**
 * Reads the public keys verification accepts. A fingerprint alone cannot verify anything, so
 * fingerprints only narrow the keys given (pinning); keys are the material.
 */
export async function loadTrustedKeys({ keys, fingerprints = [] }: LoadTrustedKeysInput): Promise<TrustedKeys> {
  const pins = fingerprints.map((text, index) => {
    const normalized = normalizeFingerprint(text);
    if (!normalized) {
      throw new PhpublishError('TRUSTED_KEY_INVALID', {
        source: `signing.trustedFingerprints[${index}]`,
        problem: 'it is not a 40-hex-digit OpenPGP v4 fingerprint',
      });
    }
    return normalized;
  });
  const loaded: TrustedKey[] = [];
  for (const { armored, source, trust = 'full', privateKeyAllowed = false } of keys) {
    for (const key of await readPublicKeys(armored, source, privateKeyAllowed)) {
      const fingerprint = fingerprintOf(key);
      // The first mention wins: our own key, given first, keeps its `ultimate` trust.
      if (loaded.some((k) => k.fingerprint === fingerprint)) continue;
      loaded.push({ key, fingerprint, trust });
    }
  }
  const pinned = pins.length === 0 ? loaded : loaded.filter((k) => pins.includes(k.fingerprint));
  return { keys: pinned, given: loaded.length };
}

/** Every key in one source, as public keys; a private key is refused unless it is allowed. */
async function readPublicKeys(content: string | Uint8Array, source: string, privateKeyAllowed: boolean) {
  const openpgp = await loadOpenPgp();
  const binary = typeof content === 'string' ? undefined : binaryExport(content);
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
  const read = binary ? undefined : readKeyText(text, source);
  if (read?.problem) throw new PhpublishError('TRUSTED_KEY_INVALID', { source, problem: read.problem });
  const blocks = read ? armorBlocks(read.text) : [];
  // Refused before parsing: a secret has no business being parsed here.
  if (!privateKeyAllowed && blocks.some((block) => armorKind(block) === 'private-key')) {
    throw new PhpublishError('TRUSTED_KEY_PRIVATE', { source });
  }
  const parsed: Key[] = [];
  try {
    if (binary) parsed.push(...(await openpgp.readKeys({ binaryKeys: binary })));
    for (const block of blocks) parsed.push(...(await openpgp.readKeys({ armoredKeys: block })));
  } catch (error) {
    throw new PhpublishError('TRUSTED_KEY_INVALID', { source, problem: describeParseError(error) });
  }
  // Also a secret key in a block labelled PUBLIC, or in a binary export.
  if (!privateKeyAllowed && parsed.some((key) => key.isPrivate())) {
    throw new PhpublishError('TRUSTED_KEY_PRIVATE', { source });
  }
  return parsed.map((key) => (key.isPrivate() ? key.toPublic() : key));
}

/** The bytes of a binary (non-armored) export, or undefined when they are armored text. */
function binaryExport(bytes: Uint8Array): Uint8Array | undefined {
  const start = bytes.findIndex((byte) => byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d);
  // An OpenPGP packet starts with bit 7 set; text (armor, or a UTF-8 byte order mark 0xEF…) is
  // read as text. 0xEF would be an invalid packet header anyway.
  const first = start === -1 ? 0 : bytes[start]!;
  return (first & 0x80) !== 0 && first !== 0xef ? bytes : undefined;
}

/**
 * The armored blocks in a text (a variable or an option may hold several keys pasted one after the
 * other; openpgp.js reads only the first block of a text). Text without blocks is returned whole,
 * so that parsing reports what is wrong with it.
 */
function armorBlocks(text: string): string[] {
  const blocks = text.match(/-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g);
  return blocks ?? [text];
}

/** Trust exactly one signing key (ultimately, as GnuPG trusts keys it holds the secret of). */
export function trustSigningKey(key: { privateKey: { toPublic(): PublicKey }; fingerprint: string }): TrustedKeys {
  return { keys: [{ key: key.privateKey.toPublic(), fingerprint: key.fingerprint, trust: 'ultimate' }], given: 1 };
}
