/**
 * Cheap, synchronous facts about armored key text: what kind of block it claims to be, and which
 * fragments of it are secret. Used where parsing the key (asynchronous, and openpgp.js is loaded
 * lazily) is not possible yet: configuration resolution and the redactor.
 */

export const PRIVATE_KEY_BEGIN = '-----BEGIN PGP PRIVATE KEY BLOCK-----';
export const PUBLIC_KEY_BEGIN = '-----BEGIN PGP PUBLIC KEY BLOCK-----';

export type ArmorKind = 'private-key' | 'public-key' | 'other';

/** What an armored block claims to be, from its first BEGIN line. */
export function armorKind(text: string): ArmorKind {
  const begin = /-----BEGIN PGP [A-Z ,/0-9]+-----/.exec(text)?.[0];
  if (begin === PRIVATE_KEY_BEGIN) return 'private-key';
  if (begin === PUBLIC_KEY_BEGIN) return 'public-key';
  return 'other';
}

// Base64 body lines of a private key are secret one by one: a single line in a log already gives
// away part of the key. Shorter lines (the end of the body, the checksum) are too short to redact
// without garbling ordinary text.
const MIN_SECRET_LINE = 16;

/**
 * The forms in which a private key could leak: the text as given, with normalized line breaks, and
 * each line of its base64 body. Header lines (`-----BEGIN …`, `Comment: …`) are not secret.
 */
export function armoredKeySecrets(armored: string | undefined): string[] {
  if (armored === undefined || armored.trim() === '') return [];
  const normalized = armored.replace(/\r\n?/g, '\n');
  const bodyLines = normalized
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length >= MIN_SECRET_LINE && /^[A-Za-z0-9+/=]+$/.test(line));
  return [...new Set([armored, normalized, ...bodyLines])];
}
