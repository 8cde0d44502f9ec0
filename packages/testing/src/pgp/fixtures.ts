/**
 * Keys exported by real GnuPG 2.2 and Sequoia (fixtures/make-fixtures.sh made them and says how).
 * Only for phpublish's own tests.
 */
import { readFileSync } from 'node:fs';

const FOLDER = new URL('./fixtures/', import.meta.url);

/** What make-fixtures.sh recorded about the keys: fingerprints by role, and gpg's own choices. */
export interface FixtureManifest {
  made: string;
  'default-rsa': { primary: string; passphrase: string };
  'default-ed25519': { primary: string };
  'subkey-signer': { primary: string; encryption: string; signing: string; passphrase: string };
  multi: {
    primary: string;
    encryption: string;
    expired: string;
    older: string;
    newest: string;
    revoked: string;
    passphrase: string;
    /** What `gpg -bsau <selector>` signed with (SIG_CREATED), or that it refused (INV_SGNR). */
    gpgChoices: { selector: string; signedBy?: string; refused?: true }[];
  };
  card: { primary: string; signing: string; passphrase: string };
  sq: { primary: string; signing: string; passphrase: string };
  'sq-cannot-sign': { primary: string };
}

export const FIXTURES = JSON.parse(fixtureText('fixtures.json')) as FixtureManifest;

/** The passphrase of every protected fixture key. */
export const FIXTURE_PASSPHRASE = FIXTURES['default-rsa'].passphrase;

export function fixtureText(file: string): string {
  return readFileSync(new URL(file, FOLDER), 'utf8');
}

export function fixtureBytes(file: string): Uint8Array {
  return readFileSync(new URL(file, FOLDER));
}

/** Every secret line of a fixture's armor: what must never show in output. */
export function fixtureSecretLines(file: string): string[] {
  return fixtureText(file)
    .split('\n')
    .filter((line) => line.length >= 16 && !line.startsWith('-') && !line.includes(':'));
}
