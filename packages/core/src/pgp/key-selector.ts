import type { SigningKey } from './signing-key.js';

/**
 * A `-u <selector>` (git's `user.signingKey`) as GnuPG reads it: a fingerprint or key ID, or text
 * to look for in user IDs.
 */
export type KeySelector =
  /** 40 hex digits (a v4 fingerprint), 16 (a long key ID) or 8 (a short key ID), upper-case. */
  | { kind: 'key-id'; hex: string; exact: boolean }
  /** `=Name <email>` (the whole user ID) or a case-insensitive part of one. */
  | { kind: 'user-id'; text: string; whole: boolean };

/**
 * Reads a selector by GnuPG's rules (classify_user_id): a `0x` prefix is optional, the `!` suffix
 * asks for exactly that (sub)key instead of the key's preferred signing subkey, and the spaces
 * GnuPG prints in fingerprints are allowed.
 */
export function parseKeySelector(selector: string): KeySelector {
  const text = selector.trim();
  const exact = text.endsWith('!');
  const hex = text.replace(/!$/, '').replace(/\s+/g, '').replace(/^0x/i, '').toUpperCase();
  if (/^[0-9A-F]+$/.test(hex) && [8, 16, 40].includes(hex.length)) return { kind: 'key-id', hex, exact };
  if (text.startsWith('=')) return { kind: 'user-id', text: text.slice(1), whole: true };
  return { kind: 'user-id', text, whole: false };
}

/** The fingerprint among `fingerprints` that a key ID selector names, if any. */
export function fingerprintNamedBy(fingerprints: readonly string[], selector: KeySelector): string | undefined {
  if (selector.kind !== 'key-id') return undefined;
  return fingerprints.find((fingerprint) => fingerprint.endsWith(selector.hex));
}

export type KeySelectorMatch =
  /** The selector names this key (a fingerprint/key ID of it or a subkey, or one of its user IDs). */
  | 'match'
  /** The selector is a fingerprint or key ID of another key: signing with this one would be wrong. */
  | 'other-key'
  /** The selector is a name or email that none of this key's user IDs contains. */
  | 'other-user-id';

/**
 * How `-u <selector>` relates to `key`: a fingerprint or key ID of the key or a subkey; an exact
 * user ID (`=Name <email>`); otherwise a case-insensitive substring of a user ID — what git's
 * default, the committer's `Name <email>`, relies on.
 */
export function matchKeySelector(
  key: Pick<SigningKey, 'fingerprints' | 'userIds'>,
  selector: string,
): KeySelectorMatch {
  const parsed = parseKeySelector(selector);
  if (parsed.kind === 'key-id') return fingerprintNamedBy(key.fingerprints, parsed) ? 'match' : 'other-key';
  if (parsed.text === '') return 'other-user-id';
  const matches = parsed.whole
    ? key.userIds.includes(parsed.text)
    : key.userIds.some((id) => id.toLowerCase().includes(parsed.text.toLowerCase()));
  return matches ? 'match' : 'other-user-id';
}
