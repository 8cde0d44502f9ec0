import {
  generateEncryptionOnlyKey,
  generateExpiredKey,
  generateRevokedKey,
  generateRfc9580Key,
  generateTestKey,
  type TestKey,
  type TestKeyKind,
} from '@phpublish/testing/pgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError, type PhpublishError } from '../errors/index.js';
import { readSigningKeyMaterial, type SigningKeyMaterial } from './key-material.js';
import { loadOpenPgp } from './openpgp.js';
import { loadSigningKey } from './signing-key.js';

const PASSPHRASE = 'correct horse battery staple';

function material(key: TestKey, ...override: [passphrase?: string]): SigningKeyMaterial {
  const passphrase = override.length > 0 ? override[0] : key.passphrase;
  return {
    armoredKey: key.armoredPrivateKey,
    keySource: 'PHPUBLISH_GPG_PRIVATE_KEY',
    passphraseSource: 'PHPUBLISH_GPG_PASSPHRASE',
    ...(passphrase === undefined ? {} : { passphrase }),
  };
}

/** Every text an error could show, down its cause chain. */
function errorTexts(error: unknown): string {
  const texts: string[] = [];
  let current = error as (Error & { format?: () => string; details?: string; remedy?: string }) | undefined;
  while (current) {
    texts.push(String(current.message), String(current.stack), current.format?.() ?? '', current.details ?? '');
    current = current.cause as typeof current;
  }
  return texts.join('\n');
}

async function refusal(key: SigningKeyMaterial, secrets: readonly string[]): Promise<PhpublishError> {
  try {
    await loadSigningKey(key);
  } catch (error) {
    expect(isPhpublishError(error)).toBe(true);
    const texts = errorTexts(error);
    for (const secret of secrets) expect(texts).not.toContain(secret);
    // No line of the key's base64 body either.
    for (const line of key.armoredKey.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'))) {
      expect(texts).not.toContain(line);
    }
    return error as PhpublishError;
  }
  throw new Error('the key was accepted');
}

const kinds: TestKeyKind[] = ['ed25519', 'rsa2048', 'rsa3072', 'rsa4096'];
const keys = new Map<string, TestKey>();

beforeAll(async () => {
  // RSA 4096 generation takes seconds: once per file, in parallel.
  const generated = await Promise.all([
    ...kinds.map((kind) => generateTestKey(kind)),
    ...kinds.map((kind) => generateTestKey(kind, { passphrase: PASSPHRASE })),
  ]);
  for (const key of generated) keys.set(key.kind, key);
}, 120_000);

describe('when the key is supported', () => {
  it.each([
    ['ed25519', 'Ed25519'],
    ['ed25519 with passphrase', 'Ed25519'],
    ['rsa2048', 'RSA 2048'],
    ['rsa2048 with passphrase', 'RSA 2048'],
    ['rsa3072', 'RSA 3072'],
    ['rsa3072 with passphrase', 'RSA 3072'],
    ['rsa4096', 'RSA 4096'],
    ['rsa4096 with passphrase', 'RSA 4096'],
  ])('loads a v4 %s key ready to sign', async (kind, algorithm) => {
    const key = keys.get(kind)!;
    const loaded = await loadSigningKey(material(key));
    expect(loaded.fingerprint).toBe(key.fingerprint);
    expect(loaded.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(loaded.keyId).toBe(key.fingerprint.slice(-16));
    expect(loaded.algorithm).toBe(algorithm);
    expect(loaded.userId).toBe('Alice Maintainer <alice@phpublish.invalid>');
    expect(loaded.privateKey.isDecrypted()).toBe(true);
    expect(loaded.publicKeyArmored).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');
    // What we hand out as "the public key" must never be the secret one.
    expect(loaded.publicKeyArmored).not.toContain('PRIVATE');
  });

  it('accepts Windows line endings in the armor', async () => {
    const key = keys.get('ed25519')!;
    const loaded = await loadSigningKey({ ...material(key), armoredKey: key.armoredPrivateKey.replace(/\n/g, '\r\n') });
    expect(loaded.fingerprint).toBe(key.fingerprint);
  });

  it('ignores a passphrase for a key that has none, with a notice that does not quote it', async () => {
    const loaded = await loadSigningKey(material(keys.get('ed25519')!, 'not needed at all'));
    expect(loaded.algorithm).toBe('Ed25519');
    expect(loaded.notices).toEqual([
      `PHPUBLISH_GPG_PASSPHRASE is set, but the key ${keys.get('ed25519')!.fingerprint} is not protected by a passphrase; the passphrase was not used`,
    ]);
    expect(loaded.notices.join()).not.toContain('not needed at all');
    expect((await loadSigningKey(material(keys.get('ed25519')!, undefined))).notices).toEqual([]);
  });
});

describe('when the passphrase is wrong or missing', () => {
  it('refuses a wrong passphrase with SIGNING_PASSPHRASE_WRONG, without the passphrase in the error', async () => {
    const key = keys.get('ed25519 with passphrase')!;
    const error = await refusal(material(key, 'wrong horse battery staple'), [
      'wrong horse battery staple',
      PASSPHRASE,
    ]);
    expect(error.code).toBe('SIGNING_PASSPHRASE_WRONG');
    expect(error.message).toContain(key.fingerprint);
  });

  it('refuses a wrong passphrase for RSA keys too', async () => {
    const error = await refusal(material(keys.get('rsa3072 with passphrase')!, 'nope-nope-nope'), ['nope-nope-nope']);
    expect(error.code).toBe('SIGNING_PASSPHRASE_WRONG');
  });

  it('refuses a protected key without passphrase, saying whether the variable was empty', async () => {
    const key = keys.get('ed25519 with passphrase')!;
    const unset = await refusal(material(key, undefined), [PASSPHRASE]);
    expect(unset.code).toBe('SIGNING_PASSPHRASE_MISSING');
    expect(unset.message).toContain('PHPUBLISH_GPG_PASSPHRASE is not set');
    const empty = await refusal(material(key, ''), [PASSPHRASE]);
    expect(empty.code).toBe('SIGNING_PASSPHRASE_MISSING');
    expect(empty.message).toContain('set but empty');
  });
});

describe('when GnuPG 2.2 could not verify the key’s signatures', () => {
  it('refuses an RFC 9580 v6 key with SIGNING_KEY_UNSUPPORTED', async () => {
    const key = await generateRfc9580Key({ v6: true });
    const error = await refusal(material(key), []);
    expect(error.code).toBe('SIGNING_KEY_UNSUPPORTED');
    expect(error.message).toMatch(/v6 key/);
    expect(error.remedy).toMatch(/Ed25519/);
  });

  it('refuses a v4 key with the new Ed25519 algorithm (27) with SIGNING_KEY_UNSUPPORTED', async () => {
    const key = await generateRfc9580Key({ v6: false });
    const error = await refusal(material(key), []);
    expect(error.code).toBe('SIGNING_KEY_UNSUPPORTED');
    expect(error.message).toMatch(/RFC 9580 Ed25519 algorithm \(27\)/);
  });
});

describe('when the key may not sign any more', () => {
  it('refuses an expired key with SIGNING_KEY_EXPIRED and its expiry date', async () => {
    const error = await refusal(material(await generateExpiredKey()), []);
    expect(error.code).toBe('SIGNING_KEY_EXPIRED');
    expect(error.message).toMatch(/expired on \d{4}-\d\d-\d\dT/);
  });

  it('refuses a revoked key with SIGNING_KEY_REVOKED', async () => {
    const error = await refusal(material(await generateRevokedKey()), []);
    expect(error.code).toBe('SIGNING_KEY_REVOKED');
  });

  it('refuses a key without signing capability with SIGNING_KEY_CANNOT_SIGN', async () => {
    const error = await refusal(material(await generateEncryptionOnlyKey()), []);
    expect(error.code).toBe('SIGNING_KEY_CANNOT_SIGN');
    expect(error.remedy).toMatch(/--quick-add-key .* sign/);
  });
});

describe('when the text is not a private key', () => {
  it('refuses a public key with SIGNING_KEY_NOT_PRIVATE', async () => {
    const key = keys.get('ed25519')!;
    const error = await refusal({ ...material(key), armoredKey: key.armoredPublicKey }, []);
    expect(error.code).toBe('SIGNING_KEY_NOT_PRIVATE');
    expect(error.remedy).toContain('--export-secret-keys');
  });

  it.each([
    ['garbage', 'not a key at all, just a long line of text'],
    ['a truncated armor', () => keys.get('ed25519')!.armoredPrivateKey.slice(0, 200)],
    [
      'a corrupted body',
      () => keys.get('rsa2048')!.armoredPrivateKey.replace(/\n([A-Za-z0-9+/]{30})/, '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'),
    ],
  ])('refuses %s with SIGNING_KEY_MALFORMED and no key material in the error', async (_what, text) => {
    const armoredKey = typeof text === 'function' ? text() : text;
    const error = await refusal({ ...material(keys.get('ed25519')!), armoredKey }, [armoredKey]);
    expect(error.code).toBe('SIGNING_KEY_MALFORMED');
    expect(error.cause).toBeUndefined();
  });

  it('refuses an armor with two keys (gpg --export-secret-keys without a fingerprint) with SIGNING_KEY_AMBIGUOUS', async () => {
    const openpgp = await loadOpenPgp();
    const [a, b] = await Promise.all(
      ['ed25519', 'rsa2048'].map((kind) => openpgp.readPrivateKey({ armoredKey: keys.get(kind)!.armoredPrivateKey })),
    );
    const combined = openpgp.armor(openpgp.enums.armor.privateKey, new Uint8Array([...a!.write(), ...b!.write()]));
    const error = await refusal({ ...material(keys.get('ed25519')!), armoredKey: combined }, []);
    expect(error.code).toBe('SIGNING_KEY_AMBIGUOUS');
    expect(error.message).toBe(
      `PHPUBLISH_GPG_PRIVATE_KEY holds 2 keys in one block (${keys.get('ed25519')!.fingerprint}, ${keys.get('rsa2048')!.fingerprint}); phpublish cannot tell which one should sign releases.`,
    );
  });

  it.each([
    ['two private key blocks', () => keys.get('ed25519')!.armoredPrivateKey + keys.get('rsa2048')!.armoredPrivateKey],
    [
      'a private and a public key block',
      () => keys.get('ed25519')!.armoredPrivateKey + keys.get('ed25519')!.armoredPublicKey,
    ],
    [
      'two blocks with text between them',
      () =>
        `${keys.get('rsa2048')!.armoredPrivateKey}\nand the other one:\n\n${keys.get('ed25519')!.armoredPrivateKey}`,
    ],
  ])('refuses %s concatenated with SIGNING_KEY_AMBIGUOUS, before parsing and when parsing', async (_what, text) => {
    const armoredKey = text();
    const read = readSigningKeyMaterial({ env: { PHPUBLISH_GPG_PRIVATE_KEY: armoredKey } });
    expect(read.problems.map((p) => p.code)).toEqual(['SIGNING_KEY_AMBIGUOUS']);
    expect(read.problems[0]!.message).toContain('PHPUBLISH_GPG_PRIVATE_KEY holds 2 armored blocks');
    // openpgp.js alone would read the first block and ignore the second.
    const error = await refusal({ ...material(keys.get('ed25519')!), armoredKey }, []);
    expect(error.code).toBe('SIGNING_KEY_AMBIGUOUS');
  });

  it('refuses an empty key with SIGNING_KEY_EMPTY', async () => {
    const error = await refusal({ ...material(keys.get('ed25519')!), armoredKey: '  \n' }, []);
    expect(error.code).toBe('SIGNING_KEY_EMPTY');
  });
});

describe('when the key text was altered on its way (CI secrets, YAML, base64)', () => {
  const key = () => keys.get('ed25519 with passphrase')!;
  const bodyLines = (armored: string) => armored.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-'));
  const base64 = (text: string) => Buffer.from(text).toString('base64');

  it.each([
    ['a byte order mark before the armor', (t: string) => `\uFEFF${t}`, [/starts with a byte order mark/]],
    ['blank lines and spaces before the armor', (t: string) => `\n \n   ${t}`, []],
    [
      'every line indented (a YAML block)',
      (t: string) =>
        t
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n'),
      [],
    ],
    [
      'trailing spaces and CRLF line ends',
      (t: string) =>
        t
          .split('\n')
          .map((l) => `${l}  `)
          .join('\r\n'),
      [],
    ],
    ['its line breaks written as \\n', (t: string) => t.trimEnd().replace(/\n/g, '\\n'), [/written as "\\n"/]],
    ['base64 on one line (base64 -w0)', (t: string) => base64(t), [/is base64-encoded armor; it was decoded/]],
    [
      'base64 wrapped at 76 columns',
      (t: string) => base64(t).replace(/(.{76})/g, '$1\n'),
      [/is base64-encoded armor; it was decoded/],
    ],
    [
      'base64 of armor that starts with a byte order mark',
      (t: string) => base64(`\uFEFF${t}`),
      [/is base64-encoded armor/, /starts with a byte order mark/],
    ],
  ])('reads a key with %s, and notes what it undid', async (_what, alter, expectedNotices) => {
    const given = alter(key().armoredPrivateKey);
    const read = readSigningKeyMaterial({
      env: { PHPUBLISH_GPG_PRIVATE_KEY: given, PHPUBLISH_GPG_PASSPHRASE: PASSPHRASE },
    });
    expect(read.problems).toEqual([]);
    const loaded = await loadSigningKey(read.material!);
    expect(loaded.fingerprint).toBe(key().fingerprint);
    expect(loaded.notices).toHaveLength(expectedNotices.length);
    for (const [index, notice] of expectedNotices.entries()) expect(loaded.notices[index]).toMatch(notice);
    // Every form the key took is registered for redaction, and no notice quotes it.
    for (const line of bodyLines(key().armoredPrivateKey)) expect(read.secrets).toContain(line);
    expect(read.secrets).toContain(given);
    for (const line of [...bodyLines(key().armoredPrivateKey), ...bodyLines(given)]) {
      expect(loaded.notices.join('\n')).not.toContain(line);
    }
  });

  it('reads a well-formed armor exactly as given', () => {
    const read = readSigningKeyMaterial({ env: { PHPUBLISH_GPG_PRIVATE_KEY: key().armoredPrivateKey } });
    expect(read.material?.armoredKey).toBe(key().armoredPrivateKey);
    expect(read.material?.notices).toBeUndefined();
  });

  it.each([
    [
      'base64 of a binary export (gpg --export-secret-keys without --armor)',
      async () => base64(String.fromCharCode(...(await privateKeyBytes()))),
      /base64-encoded binary OpenPGP data/,
    ],
    [
      'base64 of something that is no key',
      async () => base64('not a key, but long enough to look like one. '.repeat(3)),
      /looks base64-encoded/,
    ],
    [
      'an armor whose line breaks became spaces',
      async () => key().armoredPrivateKey.trimEnd().replace(/\n/g, ' '),
      /line breaks are missing/,
    ],
  ])('refuses %s with SIGNING_KEY_MALFORMED that says what it is', async (_what, text, problem) => {
    const armoredKey = await text();
    const read = readSigningKeyMaterial({ env: { PHPUBLISH_GPG_PRIVATE_KEY: armoredKey } });
    expect(read.problems.map((p) => p.code)).toEqual(['SIGNING_KEY_MALFORMED']);
    expect(read.problems[0]!.message).toMatch(problem);
    const error = await refusal({ ...material(key()), armoredKey }, [armoredKey]);
    expect(error.code).toBe('SIGNING_KEY_MALFORMED');
    expect(error.message).toMatch(problem);
  });

  async function privateKeyBytes(): Promise<Uint8Array> {
    const openpgp = await loadOpenPgp();
    return (await openpgp.readPrivateKey({ armoredKey: key().armoredPrivateKey })).write();
  }
});

describe('when reading the key from the environment or the options', () => {
  it('reads PHPUBLISH_GPG_PRIVATE_KEY and PHPUBLISH_GPG_PASSPHRASE and returns every secret form', () => {
    const key = keys.get('rsa2048 with passphrase')!;
    const read = readSigningKeyMaterial({
      env: { PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey, PHPUBLISH_GPG_PASSPHRASE: PASSPHRASE },
    });
    expect(read.problems).toEqual([]);
    expect(read.material).toMatchObject({ keySource: 'PHPUBLISH_GPG_PRIVATE_KEY', passphrase: PASSPHRASE });
    expect(read.secrets).toContain(key.armoredPrivateKey);
    expect(read.secrets).toContain(PASSPHRASE);
    const bodyLine = key.armoredPrivateKey.split('\n').find((l) => l.length >= 56 && !l.startsWith('-'))!;
    expect(read.secrets).toContain(bodyLine);
    expect(read.secrets.some((s) => s.startsWith('-----BEGIN') && s.length < 60)).toBe(false);
  });

  it('prefers the options over the variables but still treats both as secrets', () => {
    const fromOptions = keys.get('ed25519')!;
    const fromEnv = keys.get('rsa2048')!;
    const read = readSigningKeyMaterial({
      env: { PHPUBLISH_GPG_PRIVATE_KEY: fromEnv.armoredPrivateKey, PHPUBLISH_GPG_PASSPHRASE: 'env passphrase' },
      key: fromOptions.armoredPrivateKey,
      passphrase: 'option passphrase',
    });
    expect(read.material?.armoredKey).toBe(fromOptions.armoredPrivateKey);
    expect(read.material?.keySource).toBe('`signing.key`');
    expect(read.material?.passphraseSource).toBe('`signing.passphrase`');
    expect(read.secrets).toEqual(
      expect.arrayContaining([
        fromOptions.armoredPrivateKey,
        fromEnv.armoredPrivateKey,
        'env passphrase',
        'option passphrase',
      ]),
    );
  });

  it('reports an empty variable, a public key and text without armor at once, without parsing', () => {
    const codes = (value: string) =>
      readSigningKeyMaterial({ env: { PHPUBLISH_GPG_PRIVATE_KEY: value } }).problems.map((p) => p.code);
    expect(codes('')).toEqual(['SIGNING_KEY_EMPTY']);
    expect(codes(keys.get('ed25519')!.armoredPublicKey)).toEqual(['SIGNING_KEY_NOT_PRIVATE']);
    expect(codes('xpub-not-a-pgp-key')).toEqual(['SIGNING_KEY_MALFORMED']);
    expect(readSigningKeyMaterial({ env: {} })).toEqual({ problems: [], secrets: [] });
  });
});
