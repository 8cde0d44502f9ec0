import type { GenerateKeyOptions } from 'openpgp';
import { describe, expect, it } from 'vitest';
import { isPhpublishError, type PhpublishError } from '../errors/index.js';
import { loadOpenPgp } from './openpgp.js';
import { loadSigningKey } from './signing-key.js';

const SIGNER = { name: 'Old Key', email: 'old-key@phpublish.invalid' };

/** A private key of the given kind, made by openpgp.js (which generates RSA 1024 only when told to allow it). */
async function generate(options: Omit<GenerateKeyOptions, 'userIDs' | 'format'>): Promise<string> {
  const openpgp = await loadOpenPgp();
  const { privateKey } = await openpgp.generateKey({
    ...options,
    userIDs: [SIGNER],
    format: 'armored',
    config: { minRSABits: 1024, v6Keys: false, aeadProtect: false },
  } as GenerateKeyOptions & { format: 'armored' });
  return privateKey;
}

async function refusal(armoredKey: string, selector?: string): Promise<PhpublishError> {
  const material = { armoredKey, keySource: 'PHPUBLISH_GPG_PRIVATE_KEY', passphraseSource: 'PHPUBLISH_GPG_PASSPHRASE' };
  try {
    await loadSigningKey(material, selector === undefined ? {} : { selector });
  } catch (error) {
    expect(isPhpublishError(error)).toBe(true);
    return error as PhpublishError;
  }
  throw new Error('the key was accepted');
}

describe('when the signing key is of an algorithm or size phpublish does not sign with', () => {
  it('refuses an RSA 1024 key with SIGNING_KEY_UNSUPPORTED and its size, not as a key that cannot sign', async () => {
    const key = await generate({ type: 'rsa', rsaBits: 1024 });
    const error = await refusal(key);
    expect(error.code).toBe('SIGNING_KEY_UNSUPPORTED');
    expect(error.message).toContain('its primary key is RSA 1024');
    expect(error.message).toContain('supported RSA keys have 2048 to 4096 bits');
    expect(error.remedy).toContain('RSA key of 2048 to 4096 bits');
  });

  it('says the same when the RSA 1024 key is asked for exactly, with "!"', async () => {
    const key = await generate({ type: 'rsa', rsaBits: 1024 });
    const fingerprint = (await (await loadOpenPgp()).readKey({ armoredKey: key })).getFingerprint();
    const error = await refusal(key, `${fingerprint}!`);
    expect(error.code).toBe('SIGNING_KEY_UNSUPPORTED');
    expect(error.message).toContain('RSA 1024');
  });

  it('refuses an ECDSA NIST P-256 key, naming its curve', async () => {
    const error = await refusal(await generate({ type: 'ecc', curve: 'nistP256' }));
    expect(error.code).toBe('SIGNING_KEY_UNSUPPORTED');
    expect(error.message).toContain('its signing key uses ecdsa nistP256; supported are Ed25519 and RSA 2048–4096');
  });

  it('refuses a v4 key with the RFC 9580 Ed448 algorithm (28), which GnuPG 2.2 does not know', async () => {
    const error = await refusal(await generate({ type: 'curve448' }));
    expect(error.code).toBe('SIGNING_KEY_UNSUPPORTED');
    expect(error.message).toContain('RFC 9580 Ed448 algorithm (28)');
  });

  it('refuses a key whose primary key is RSA 1024 even with an Ed25519 signing subkey (openpgp.js trusts nothing it certified)', async () => {
    const key = await generate({
      type: 'rsa',
      rsaBits: 1024,
      subkeys: [{ type: 'ecc', curve: 'ed25519Legacy', sign: true }],
    });
    const error = await refusal(key);
    expect(error.code).toBe('SIGNING_KEY_UNSUPPORTED');
    expect(error.message).toContain('its primary key is RSA 1024');
  });

  it('passes over an RSA 1024 signing subkey for a supported primary key, and names its size when asked for it exactly', async () => {
    const key = await generate({
      type: 'ecc',
      curve: 'ed25519Legacy',
      subkeys: [{ type: 'rsa', rsaBits: 1024, sign: true }],
    });
    const material = {
      armoredKey: key,
      keySource: 'PHPUBLISH_GPG_PRIVATE_KEY',
      passphraseSource: 'PHPUBLISH_GPG_PASSPHRASE',
    };
    const loaded = await loadSigningKey(material);
    expect(loaded.algorithm).toBe('Ed25519');
    expect(loaded.signingFingerprint).toBe(loaded.fingerprint);

    const subkey = loaded.fingerprints.find((fingerprint) => fingerprint !== loaded.fingerprint)!;
    const error = await refusal(key, `${subkey}!`);
    expect(error.code).toBe('SIGNING_KEY_CANNOT_SIGN');
    expect(error.message).toContain(`subkey ${subkey} is RSA 1024, under the 2048 bits openpgp.js signs with`);
  });
});

describe('when the secret part of an unprotected key does not match its public part (a corrupted export)', () => {
  it('refuses it with SIGNING_KEY_MALFORMED instead of making signatures nobody can verify', async () => {
    const openpgp = await loadOpenPgp();
    const key = await openpgp.readPrivateKey({ armoredKey: await generate({ type: 'ecc', curve: 'ed25519Legacy' }) });
    const params = key.keyPacket.privateParams as { seed: Uint8Array };
    params.seed[0]! ^= 0x01;
    const error = await refusal(key.armor());
    expect(error.code).toBe('SIGNING_KEY_MALFORMED');
    expect(error.message).toContain('its secret part does not match its public part');
  });
});
