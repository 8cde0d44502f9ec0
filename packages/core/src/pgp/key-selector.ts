import type { SigningKey } from './signing-key.js';

export type KeySelectorMatch =
  /** The selector names this key (a fingerprint/key ID of it or a subkey, or one of its user IDs). */
  | 'match'
  /** The selector is a fingerprint or key ID of another key: signing with this one would be wrong. */
  | 'other-key'
  /** The selector is a name or email that none of this key's user IDs contains. */
  | 'other-user-id';

/**
 * How `-u <selector>` relates to `key`, by GnuPG's rules: a fingerprint or key ID of the key or a
 * subkey (`0x` prefix and `!` suffix allowed); an exact user ID (`=Name <email>`); otherwise a
 * case-insensitive substring of a user ID — what git's default, the committer's `Name <email>`,
 * relies on.
 */
export function matchKeySelector(
  key: Pick<SigningKey, 'fingerprints' | 'userIds'>,
  selector: string,
): KeySelectorMatch {
  const text = selector.trim();
  const hex = text.replace(/^0x/i, '').replace(/!$/, '').replace(/\s+/g, '').toUpperCase();
  if (/^[0-9A-F]+$/.test(hex) && [8, 16, 40].includes(hex.length)) {
    return key.fingerprints.some((fingerprint) => fingerprint.endsWith(hex)) ? 'match' : 'other-key';
  }
  if (text === '') return 'other-user-id';
  const matches = text.startsWith('=')
    ? key.userIds.includes(text.slice(1))
    : key.userIds.some((id) => id.toLowerCase().includes(text.toLowerCase()));
  return matches ? 'match' : 'other-user-id';
}
