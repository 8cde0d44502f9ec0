/** The openpgp.js module. Its types are free; its code is loaded only when a key is first used. */
export type OpenPgp = typeof import('openpgp');

let loading: Promise<OpenPgp> | undefined;

/**
 * Loads openpgp.js on first use. It is a large module: importing `@phpublish/core` (every plugin
 * does, at host start-up) must not pay for it when no tag is signed or verified.
 */
export function loadOpenPgp(): Promise<OpenPgp> {
  loading ??= import('openpgp');
  return loading;
}

/**
 * openpgp.js adds a random `salt@notations.openpgpjs.org` notation to signatures by default. GnuPG
 * accepts it but prints NOTATION lines and it tells the world which library signed; a plain
 * signature is what `gpg -bsa` makes.
 */
export const PLAIN_SIGNATURES = { nonDeterministicSignaturesViaNotation: false } as const;
