/**
 * The suite's leak scan: every secret a test used (tokens, ID tokens, exchanged credentials, private
 * key material, passphrases) is looked for, in each form it could take on the way out, in every place
 * the scan is fed: captured output, requests the stand-ins received, files left in temp folders, git
 * objects pushed to stand-in remotes. The setup file (vitest.leak-scan.setup.ts) runs it after each
 * test file and fails the file on a leak. A leak is named by the secret's label and where it was
 * found, never by the secret itself.
 */

export interface TestSecret {
  /** What the secret is, for the report ("alice's Packagist API token"); never the value. */
  readonly label: string;
  readonly value: string;
}

/** Text that left phpublish's hands, and where it went. */
export interface LeakPlace {
  /** Where it was found ("output of phpublish verify", "POST /api/update-package body"). */
  readonly where: string;
  readonly text: string | Buffer;
}

export interface Leak {
  readonly label: string;
  /** Which form of the secret was found: `as is`, `URL-encoded`, `base64`, `JWT signature`… */
  readonly form: string;
  readonly where: string;
}

/** Shorter forms than this would match by chance (and a secret this short is no secret). */
const MIN_FORM_LENGTH = 12;

const secrets = new Map<string, string>();
const places: LeakPlace[] = [];

/** Registers a secret a test uses, so that the scan looks for it. Empty and very short values are ignored. */
export function registerSecret(label: string, value: string | undefined): void {
  if (value && value.length >= MIN_FORM_LENGTH && !secrets.has(value)) secrets.set(value, label);
}

/** The secrets registered since the last `clearLeakScan()`. */
export function registeredSecrets(): TestSecret[] {
  return [...secrets].map(([value, label]) => ({ label, value }));
}

/** Hands text that left phpublish (output, a request, a file) to the scan. */
export function recordForLeakScan(where: string, text: string | Buffer): void {
  if (text.length > 0) places.push({ where, text });
}

/** The places recorded since the last `clearLeakScan()`. */
export function recordedPlaces(): readonly LeakPlace[] {
  return places;
}

/** Forgets secrets and places: the scan runs once per test file. */
export function clearLeakScan(): void {
  secrets.clear();
  places.length = 0;
}

/**
 * Every form a secret can take in transit or at rest: as is, URL-encoded (both kinds), base64 and
 * base64url of its bytes at each of the three alignments inside a longer encoded text, and for a JWT
 * its signature alone (enough to replay nothing, but proof the token itself went there).
 */
export function secretForms(value: string): { form: string; text: string }[] {
  const forms = new Map<string, string>();
  const add = (form: string, text: string) => {
    if (text.length >= MIN_FORM_LENGTH && !forms.has(text)) forms.set(text, form);
  };
  add('as is', value);
  add('URL-encoded', encodeURIComponent(value));
  add('form-encoded', new URLSearchParams({ x: value }).toString().slice(2));
  const bytes = Buffer.from(value, 'utf8');
  for (let offset = 0; offset < 3; offset++) {
    // Inside a longer base64 text the secret starts at any byte offset; only whole groups of three
    // of its own bytes encode the same way every time, so those are what is looked for.
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const start = offset === 0 ? 0 : 4;
    const end = Math.floor((offset + bytes.length) / 3) * 4;
    const stable = encoded.slice(start, end);
    add('base64', stable);
    add('base64url', stable.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  const jwt = /^[\w-]+\.[\w-]+\.([\w-]+)$/.exec(value);
  if (jwt) add('JWT signature', jwt[1]!);
  return [...forms].map(([text, form]) => ({ form, text }));
}

/** Every (secret, form, place) where a form of a secret occurs in a place's text. */
export function findLeaks(secretList: readonly TestSecret[], placeList: readonly LeakPlace[]): Leak[] {
  const leaks: Leak[] = [];
  const seen = new Set<string>();
  const texts = placeList.map((place) => ({
    where: place.where,
    text: typeof place.text === 'string' ? place.text : place.text.toString('latin1'),
  }));
  for (const secret of secretList) {
    for (const { form, text: needle } of secretForms(secret.value)) {
      // Buffers are read as latin1: a UTF-8 secret's bytes then read the same as its latin1 form.
      const latin1 = Buffer.from(needle, 'utf8').toString('latin1');
      for (const place of texts) {
        if (!place.text.includes(needle) && !place.text.includes(latin1)) continue;
        const key = `${secret.label}\0${form}\0${place.where}`;
        if (seen.has(key)) continue;
        seen.add(key);
        leaks.push({ label: secret.label, form, where: place.where });
      }
    }
  }
  return leaks;
}

/** One line per leak, for the failure message (labels and places only). */
export function describeLeaks(leaks: readonly Leak[]): string {
  return leaks.map((leak) => `${leak.label} (${leak.form}) found in ${leak.where}`).join('\n');
}
