import { FIXTURES, fixtureBytes, fixtureText, generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError, type PhpublishError } from '../errors/index.js';
import { loadOpenPgp } from './openpgp.js';
import { loadTrustedKeys, type TrustedKeySource } from './trusted-keys.js';

let alice: TestKey;
let bob: TestKey;

beforeAll(async () => {
  [alice, bob] = await Promise.all([
    generateTestKey('ed25519'),
    generateTestKey('ed25519', { userId: { name: 'Bob', email: 'bob@phpublish.invalid' } }),
  ]);
});

const secretLines = (armored: string) =>
  armored.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-') && !line.includes(':'));

async function refusal(sources: TrustedKeySource[], secrets: readonly string[]): Promise<PhpublishError> {
  try {
    await loadTrustedKeys({ keys: sources });
  } catch (error) {
    expect(isPhpublishError(error), String(error)).toBe(true);
    const text = `${(error as PhpublishError).format()}\n${(error as Error).stack}`;
    for (const secret of secrets) expect(text).not.toContain(secret);
    return error as PhpublishError;
  }
  throw new Error('the keys were accepted');
}

describe('when a trusted key is a private key', () => {
  it.each([
    ['an armored private key', () => alice.armoredPrivateKey],
    ['a private key after a public one', () => `${bob.armoredPublicKey}\n${alice.armoredPrivateKey}`],
    ['a base64-encoded private key', () => Buffer.from(alice.armoredPrivateKey).toString('base64')],
    ['GnuPG’s --export-secret-subkeys', () => fixtureText('subkey-signer.secret-subkeys.asc')],
    [
      'a secret key in a block labelled PUBLIC',
      async () => {
        const openpgp = await loadOpenPgp();
        const key = await openpgp.readPrivateKey({ armoredKey: alice.armoredPrivateKey });
        return openpgp.armor(openpgp.enums.armor.publicKey, key.write());
      },
    ],
  ])('refuses %s with TRUSTED_KEY_PRIVATE, without quoting it', async (_what, text) => {
    const armored = await text();
    const error = await refusal([{ armored, source: 'policy key alice.asc' }], secretLines(armored));
    expect(error.code).toBe('TRUSTED_KEY_PRIVATE');
    expect(error.message).toBe(
      'policy key alice.asc holds a private (secret) key; keys that verify signatures must be public keys.',
    );
    expect(error.remedy).toContain('gpg --armor --export <fingerprint>');
  });

  it('refuses a binary export of a private key too', async () => {
    const openpgp = await loadOpenPgp();
    const key = await openpgp.readPrivateKey({ armoredKey: alice.armoredPrivateKey });
    const error = await refusal([{ armored: key.write(), source: 'alice.gpg' }], []);
    expect(error.code).toBe('TRUSTED_KEY_PRIVATE');
  });

  it('uses only the public half of our own signing key, where that is allowed', async () => {
    const trusted = await loadTrustedKeys({
      keys: [{ armored: alice.armoredPrivateKey, source: 'PHPUBLISH_GPG_PRIVATE_KEY', privateKeyAllowed: true }],
    });
    expect(trusted.keys.map((k) => k.fingerprint)).toEqual([alice.fingerprint]);
    expect(trusted.keys[0]!.key.isPrivate()).toBe(false);
  });
});

describe('when trusted keys are exported in other shapes', () => {
  it('reads a binary public key export (gpg --export without --armor) given as bytes', async () => {
    const trusted = await loadTrustedKeys({
      keys: [{ armored: fixtureBytes('subkey-signer.public.gpg'), source: 'maintainer.gpg' }],
    });
    expect(trusted.keys.map((k) => k.fingerprint)).toEqual([FIXTURES['subkey-signer'].primary]);
  });

  it('reads armored keys given as bytes, with a byte order mark', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fixtureBytes('sq.public.asc')]);
    const trusted = await loadTrustedKeys({ keys: [{ armored: bytes, source: 'sq.asc' }] });
    expect(trusted.keys.map((k) => k.fingerprint)).toEqual([FIXTURES.sq.primary]);
  });

  it('says that a binary export read as text is binary, not that it is "misformed"', async () => {
    const asText = Buffer.from(fixtureBytes('subkey-signer.public.gpg')).toString('utf8');
    const error = await refusal([{ armored: asText, source: 'maintainer.gpg' }], []);
    expect(error.code).toBe('TRUSTED_KEY_INVALID');
    expect(error.message).toBe(
      'maintainer.gpg is not a usable OpenPGP public key: it is binary data, not ASCII armor (a key exported without --armor).',
    );
  });

  it('reads several keys, indented, base64-encoded or pasted one after the other', async () => {
    const indented = bob.armoredPublicKey
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n');
    const trusted = await loadTrustedKeys({
      keys: [
        { armored: `${fixtureText('multi.public.asc')}${indented}`, source: 'a' },
        { armored: Buffer.from(alice.armoredPublicKey).toString('base64'), source: 'b' },
      ],
    });
    expect(trusted.keys.map((k) => k.fingerprint)).toEqual([
      FIXTURES.multi.primary,
      bob.fingerprint,
      alice.fingerprint,
    ]);
  });
});
