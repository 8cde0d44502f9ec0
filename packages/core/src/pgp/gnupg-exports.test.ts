import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FIXTURE_PASSPHRASE,
  FIXTURES,
  type FixtureManifest,
  fixtureSecretLines,
  fixtureText,
  freshGnupgHome,
  type GnupgHome,
  run,
} from '@phpublish/testing/pgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError, type PhpublishError } from '../errors/index.js';
import { readSigningKeyMaterial } from './key-material.js';
import { fingerprintNamedBy, parseKeySelector } from './key-selector.js';
import { signDetached } from './sign.js';
import { type LoadSigningKeyOptions, loadSigningKey } from './signing-key.js';

/**
 * Keys as GnuPG 2.2 and Sequoia export them (testing/fixtures): the part that signs is the one
 * GnuPG would use, stubs and smartcard keys are refused as what they are, and what is signed
 * verifies with gpg and sqv.
 */
const PAYLOAD = Buffer.from('object 0123456789012345678901234567890123456789\ntype commit\ntag v1.0.0\n\nRelease\n');

type KeyName = Exclude<keyof FixtureManifest, 'made'>;

let gnupg: GnupgHome;

beforeAll(async () => {
  gnupg = await freshGnupgHome();
  for (const name of ['default-rsa', 'default-ed25519', 'subkey-signer', 'multi', 'card', 'sq']) {
    await gnupg.importPublicKey(fixtureText(`${name}.public.asc`));
  }
});

afterAll(async () => {
  await gnupg?.cleanup();
});

/** Reads a fixture as phpublish reads PHPUBLISH_GPG_PRIVATE_KEY and PHPUBLISH_GPG_PASSPHRASE. */
function load(file: string, { passphrase, ...options }: LoadSigningKeyOptions & { passphrase?: string } = {}) {
  const { material, problems } = readSigningKeyMaterial({
    env: {
      PHPUBLISH_GPG_PRIVATE_KEY: fixtureText(file),
      ...(passphrase === undefined ? {} : { PHPUBLISH_GPG_PASSPHRASE: passphrase }),
    },
  });
  expect(problems).toEqual([]);
  return loadSigningKey(material!, options);
}

async function refusal(file: string, options: Parameters<typeof load>[1] = {}): Promise<PhpublishError> {
  try {
    await load(file, options);
  } catch (error) {
    expect(isPhpublishError(error), String(error)).toBe(true);
    const text = `${(error as PhpublishError).format()}\n${(error as Error).stack}`;
    for (const line of fixtureSecretLines(file)) expect(text).not.toContain(line);
    expect(text).not.toContain(FIXTURE_PASSPHRASE);
    return error as PhpublishError;
  }
  throw new Error(`${file} was accepted`);
}

/** Verifies a detached signature with real GnuPG and Sequoia's sqv; returns gpg's VALIDSIG line. */
async function verifyWithGnupgAndSqv(name: KeyName, signature: string): Promise<string> {
  const signatureFile = join(gnupg.home, 'payload.sig');
  const dataFile = join(gnupg.home, 'payload');
  const keyring = join(gnupg.home, `${name}.public.asc`);
  await writeFile(signatureFile, signature);
  await writeFile(dataFile, PAYLOAD);
  await writeFile(keyring, fixtureText(`${name}.public.asc`));
  const gpg = await run('gpg', ['--batch', '--status-fd=1', '--verify', signatureFile, dataFile], {
    env: { ...process.env, ...gnupg.env },
  });
  expect(gpg.exitCode, gpg.stderr).toBe(0);
  const sqv = await run('sqv', ['--keyring', keyring, signatureFile, dataFile]);
  expect(sqv.exitCode, sqv.stderr).toBe(0);
  expect(sqv.stdout.trim()).toBe(FIXTURES[name].primary);
  return gpg.stdout.split('\n').find((line) => line.startsWith('[GNUPG:] VALIDSIG ')) ?? '';
}

describe('when the key was exported by GnuPG 2.2 or Sequoia', () => {
  it.each([
    ['GnuPG 2.2’s default key (RSA 3072), protected', 'default-rsa.secret.asc', 'default-rsa', 'primary', true],
    [
      'GnuPG’s future-default key (Ed25519), unprotected',
      'default-ed25519.secret.asc',
      'default-ed25519',
      'primary',
      false,
    ],
    [
      'a key with a signing subkey, exported with --export-secret-subkeys',
      'subkey-signer.secret-subkeys.asc',
      'subkey-signer',
      'signing',
      true,
    ],
    [
      'a full export whose signing subkey is a stub (GnuPG signs with the primary key)',
      'subkey-signer.signing-subkey-stub.asc',
      'subkey-signer',
      'primary',
      true,
    ],
    [
      'a full export whose signing subkey is on a smartcard',
      'card.signing-subkey-on-card.asc',
      'card',
      'primary',
      true,
    ],
    ['Sequoia’s default key', 'sq.secret.asc', 'sq', 'signing', false],
    ['Sequoia’s default key, protected', 'sq.protected.asc', 'sq', 'signing', true],
  ] as const)('signs with %s, and gpg and sqv verify it', async (_what, file, name, part, isProtected) => {
    const key = await load(file, isProtected ? { passphrase: FIXTURE_PASSPHRASE } : {});
    const expected = (FIXTURES[name] as Record<string, string>)[part]!;
    expect(key.fingerprint).toBe(FIXTURES[name].primary);
    expect(key.signingFingerprint).toBe(expected);
    expect(key.notices).toEqual([]);

    const signature = await signDetached(key, PAYLOAD);
    expect(signature.signingFingerprint).toBe(expected);
    // VALIDSIG <signing fingerprint> … <primary fingerprint>
    const validSig = await verifyWithGnupgAndSqv(name, signature.armored);
    expect(validSig).toMatch(new RegExp(`^\\[GNUPG:\\] VALIDSIG ${expected} .* ${FIXTURES[name].primary}$`));
  });

  it('notes a passphrase given for a key that has none, without the passphrase', async () => {
    const key = await load('default-ed25519.secret.asc', { passphrase: 'an unneeded passphrase' });
    expect(key.notices).toEqual([
      `PHPUBLISH_GPG_PASSPHRASE is set, but the key ${FIXTURES['default-ed25519'].primary} is not protected by a passphrase; the passphrase was not used`,
    ]);
    expect(key.notices.join('\n')).not.toContain('an unneeded passphrase');
  });

  it('keeps the secret of the signing part only', async () => {
    const key = await load('subkey-signer.signing-subkey-stub.asc', { passphrase: FIXTURE_PASSPHRASE });
    const parts = key.privateKey.getKeys();
    const decrypted = parts.filter((part) => part.isDecrypted()).map((part) => part.getFingerprint().toUpperCase());
    expect(decrypted).toEqual([key.signingFingerprint]);
  });
});

describe('when the part that would sign has no secret here (stubs and smartcards)', () => {
  it.each([
    [
      'GnuPG’s default RSA key exported with --export-secret-subkeys',
      'default-rsa.secret-subkeys.asc',
      /the primary key [0-9A-F]{40} is a stub without its secret part/,
    ],
    [
      'GnuPG’s Ed25519 default key exported with --export-secret-subkeys',
      'default-ed25519.secret-subkeys.asc',
      /the primary key [0-9A-F]{40} is a stub without its secret part/,
    ],
    [
      'an export of the encryption subkey only',
      'subkey-signer.encryption-subkey-only.asc',
      /the primary key [0-9A-F]{40} is a stub/,
    ],
    [
      'a key whose only signing subkey is a stub too',
      'subkey-signer.signing-keys-all-stubs.asc',
      new RegExp(`subkey ${FIXTURES['subkey-signer'].signing} is a stub without its secret part`),
    ],
    [
      'a stub primary and a signing subkey on a smartcard (S2K 1002)',
      'card.secret-subkeys.asc',
      new RegExp(`subkey ${FIXTURES.card.signing} is a stub whose secret part is on a smartcard`),
    ],
    [
      'a key whose signing keys are all on a smartcard',
      'card.all-signing-keys-on-card.asc',
      new RegExp(`the primary key ${FIXTURES.card.primary} is a stub whose secret part is on a smartcard`),
    ],
  ])('refuses %s with SIGNING_KEY_CANNOT_SIGN, never as malformed', async (_what, file, reason) => {
    for (const passphrase of [FIXTURE_PASSPHRASE, undefined]) {
      const error = await refusal(file, passphrase === undefined ? {} : { passphrase });
      expect(error.code).toBe('SIGNING_KEY_CANNOT_SIGN');
      expect(error.message).toMatch(reason);
      expect(error.remedy).toContain('--export-secret-subkeys');
    }
  });

  it('refuses a Sequoia key made without signing capability with SIGNING_KEY_CANNOT_SIGN', async () => {
    const error = await refusal('sq.cannot-sign.asc');
    expect(error.code).toBe('SIGNING_KEY_CANNOT_SIGN');
    expect(error.message).toContain(FIXTURES['sq-cannot-sign'].primary);
  });
});

describe('when git names the key (user.signingKey), with or without GnuPG’s exact-subkey "!"', () => {
  const multi = FIXTURES.multi;
  const named = (selector: string, fingerprint: string) =>
    fingerprintNamedBy([fingerprint], parseKeySelector(selector)) !== undefined;
  // Made on 2020-01-01 to expire after gpg's "1y": 365 days, in a leap year.
  it.each(multi.gpgChoices.map((choice) => [choice.selector, choice.signedBy] as const))(
    'does what GnuPG 2.2 does for %s',
    async (selector, signedBy) => {
      if (signedBy) {
        const key = await load('multi.secret.asc', { passphrase: FIXTURE_PASSPHRASE, selector });
        expect(key.signingFingerprint).toBe(signedBy);
        expect((await signDetached(key, PAYLOAD)).signingFingerprint).toBe(signedBy);
        return;
      }
      const error = await refusal('multi.secret.asc', { passphrase: FIXTURE_PASSPHRASE, selector });
      if (named(selector, multi.expired)) {
        expect(error.code).toBe('SIGNING_KEY_EXPIRED');
        expect(error.message).toBe(
          `The subkey ${multi.expired} of key ${multi.primary}, asked for exactly with "!", expired on 2020-12-31T00:00:00.000Z.`,
        );
      } else if (named(selector, multi.revoked)) {
        expect(error.code).toBe('SIGNING_KEY_REVOKED');
        expect(error.message).toContain(`subkey ${multi.revoked} of key ${multi.primary}`);
      } else {
        expect(named(selector, multi.encryption)).toBe(true);
        expect(error.code).toBe('SIGNING_KEY_CANNOT_SIGN');
        expect(error.message).toContain(`cannot sign with "${selector}"`);
        expect(error.message).toContain(`subkey ${multi.encryption} is not a valid signing key`);
      }
    },
  );

  it('covers every kind of selector in GnuPG’s recorded choices', () => {
    const selectors = multi.gpgChoices.map((choice) => choice.selector);
    expect(selectors).toContain(`${multi.primary}!`);
    expect(selectors).toContain(`${multi.older}!`);
    expect(selectors.some((s) => s.startsWith('0x') && s.endsWith('!'))).toBe(true);
    expect(selectors.some((s) => s.includes(' '))).toBe(true);
    expect(multi.gpgChoices.filter((choice) => choice.refused)).toHaveLength(3);
  });

  it('also takes a spaced fingerprint with "!" (gpg 2.2 does not find it) as that exact subkey', async () => {
    const spaced = `${multi.older.replace(/(.{4})/g, '$1 ').trim()}!`;
    const key = await load('multi.secret.asc', { passphrase: FIXTURE_PASSPHRASE, selector: spaced });
    expect(key.signingFingerprint).toBe(multi.older);
  });

  it.each([
    ['another key’s fingerprint', () => FIXTURES.sq.primary],
    ['another key’s fingerprint with "!"', () => `${FIXTURES.sq.primary}!`],
    ['another key’s long key ID', () => `0x${FIXTURES.sq.signing.slice(-16)}`],
  ])('refuses %s with SIGNING_KEY_MISMATCH', async (_what, selector) => {
    const error = await refusal('multi.secret.asc', { passphrase: FIXTURE_PASSPHRASE, selector: selector() });
    expect(error.code).toBe('SIGNING_KEY_MISMATCH');
  });

  it('refuses "!" on a part whose secret is not here, instead of signing with another', async () => {
    const signer = FIXTURES['subkey-signer'];
    const stubSubkey = await refusal('subkey-signer.signing-subkey-stub.asc', {
      passphrase: FIXTURE_PASSPHRASE,
      selector: `${signer.signing}!`,
    });
    expect(stubSubkey.code).toBe('SIGNING_KEY_CANNOT_SIGN');
    expect(stubSubkey.message).toContain(`subkey ${signer.signing} is a stub without its secret part`);
    const stubPrimary = await refusal('subkey-signer.secret-subkeys.asc', {
      passphrase: FIXTURE_PASSPHRASE,
      selector: `${signer.primary}!`,
    });
    expect(stubPrimary.code).toBe('SIGNING_KEY_CANNOT_SIGN');
    expect(stubPrimary.message).toContain(`the primary key ${signer.primary} is a stub`);
    // Without "!", the primary's fingerprint names the key, and its signing subkey signs.
    const key = await load('subkey-signer.secret-subkeys.asc', {
      passphrase: FIXTURE_PASSPHRASE,
      selector: signer.primary,
    });
    expect(key.signingFingerprint).toBe(signer.signing);
  });
});
