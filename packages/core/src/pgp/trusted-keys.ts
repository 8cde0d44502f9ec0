import type { PublicKey } from 'openpgp';
import { PhpublishError } from '../errors/index.js';
import { fingerprintOf, normalizeFingerprint } from './key-info.js';
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
  /** One or more armored keys (public, or private: only their public half is used). */
  armored: string;
  /** What to call it in errors, e.g. `signing.trustedKeys[0]`. */
  source: string;
  /** `ultimate` for our own signing key (as GnuPG treats keys it holds the secret of); default `full`. */
  trust?: TrustLevel;
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
  const openpgp = await loadOpenPgp();
  const loaded: TrustedKey[] = [];
  for (const { armored, source, trust = 'full' } of keys) {
    const parsed: Awaited<ReturnType<typeof openpgp.readKeys>> = [];
    for (const block of armorBlocks(armored)) {
      try {
        parsed.push(...(await openpgp.readKeys({ armoredKeys: block })));
      } catch (error) {
        throw new PhpublishError('TRUSTED_KEY_INVALID', { source, problem: describeParseError(error) });
      }
    }
    for (const key of parsed) {
      const publicKey = key.isPrivate() ? key.toPublic() : key;
      const fingerprint = fingerprintOf(publicKey);
      // The first mention wins: our own key, given first, keeps its `ultimate` trust.
      if (loaded.some((k) => k.fingerprint === fingerprint)) continue;
      loaded.push({ key: publicKey, fingerprint, trust });
    }
  }
  const pinned = pins.length === 0 ? loaded : loaded.filter((k) => pins.includes(k.fingerprint));
  return { keys: pinned, given: loaded.length };
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
