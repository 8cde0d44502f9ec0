import {
  FIXTURE_PASSPHRASE,
  FIXTURES,
  fixtureSecretLines,
  fixtureText,
  generateExpiredKey,
  generateRevokedKey,
  generateTestKey,
  type TestKey,
} from '@phpublish/testing/pgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGpgArguments } from './gpg-arguments.js';
import { type GpgProgramResult, runGpgProgram } from './gpg-program.js';
import { matchKeySelector } from './key-selector.js';

const PASSPHRASE = 'gpg program passphrase';
const PAYLOAD = Buffer.from('object 0123456789012345678901234567890123456789\ntype commit\ntag v1.0.0\n\nRelease\n');

let plain: TestKey;
let protectedKey: TestKey;
let other: TestKey;

beforeAll(async () => {
  [plain, protectedKey, other] = await Promise.all([
    generateTestKey('ed25519'),
    generateTestKey('rsa2048', { passphrase: PASSPHRASE }),
    generateTestKey('ed25519', { userId: { name: 'Mallory', email: 'mallory@phpublish.invalid' } }),
  ]);
});

function keyEnv(key: TestKey): Record<string, string> {
  return {
    PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
    ...(key.passphrase ? { PHPUBLISH_GPG_PASSPHRASE: key.passphrase } : {}),
  };
}

/** Runs the program with in-memory stdin and files, as phpublish-gpg would in a process. */
function gpg(
  args: string[],
  env: Record<string, string | undefined>,
  stdin: Uint8Array = PAYLOAD,
  files: Record<string, string | Uint8Array> = {},
) {
  return runGpgProgram({
    args,
    env,
    readStdin: async () => stdin,
    readFile: async (path) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return Buffer.from(content);
    },
  });
}

async function signWith(key: TestKey, data: Uint8Array = PAYLOAD): Promise<string> {
  const signed = await gpg(['--status-fd=2', '-bsau', key.fingerprint], keyEnv(key), data);
  expect(signed.exitCode, signed.stderr).toBe(0);
  return signed.stdout;
}

function statusLines(result: GpgProgramResult, from: 'stdout' | 'stderr'): string[] {
  return result[from].split('\n').filter((l) => l.startsWith('[GNUPG:] '));
}

function expectNoSecrets(result: GpgProgramResult, key: TestKey): void {
  const all = `${result.stdout}\n${result.stderr}\n${result.status?.text ?? ''}`;
  for (const line of key.armoredPrivateKey.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-'))) {
    expect(all).not.toContain(line);
  }
  if (key.passphrase) expect(all).not.toContain(key.passphrase);
}

describe('when git signs (--status-fd=2 -bsau <key>)', () => {
  it('writes an armored detached signature and the SIG_CREATED line git requires', async () => {
    const result = await gpg(['--status-fd=2', '-bsau', plain.fingerprint], keyEnv(plain));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^-----BEGIN PGP SIGNATURE-----\n\n[\s\S]+-----END PGP SIGNATURE-----\n$/);
    const created = statusLines(result, 'stderr').find((l) => l.startsWith('[GNUPG:] SIG_CREATED '));
    // SIG_CREATED <type> <pk_algo> <hash_algo> <class> <timestamp> <fingerprint> (GnuPG doc/DETAILS)
    expect(created).toMatch(new RegExp(`^\\[GNUPG:\\] SIG_CREATED D 22 10 00 \\d{10} ${plain.fingerprint}$`));
    expect(statusLines(result, 'stdout')).toEqual([]);
    expectNoSecrets(result, plain);
  });

  it('decrypts a protected key with PHPUBLISH_GPG_PASSPHRASE and signs with RSA', async () => {
    const result = await gpg(['--status-fd=2', '-bsau', protectedKey.fingerprint], keyEnv(protectedKey));
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/SIG_CREATED D 1 10 00 \d+ /);
    expectNoSecrets(result, protectedKey);
  });

  it('accepts git’s default selector (the committer) and says it signs with its one key', async () => {
    const result = await gpg(['--status-fd=2', '-bsau', 'Release Bot <bot@example.org>'], keyEnv(plain));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('[GNUPG:] SIG_CREATED ');
    expect(result.stderr).toContain(`note: git asked for "Release Bot <bot@example.org>"`);
  });

  it('refuses a fingerprint it does not hold with SIGNING_KEY_MISMATCH, and no SIG_CREATED', async () => {
    const result = await gpg(['--status-fd=2', '-bsau', other.fingerprint], keyEnv(plain));
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('SIGNING_KEY_MISMATCH');
    expect(result.stderr).not.toContain('SIG_CREATED');
  });

  it.each([
    [
      'a wrong passphrase',
      () => ({ ...keyEnv(protectedKey), PHPUBLISH_GPG_PASSPHRASE: 'wrong passphrase!' }),
      'SIGNING_PASSPHRASE_WRONG',
    ],
    [
      'no passphrase',
      () => ({ PHPUBLISH_GPG_PRIVATE_KEY: protectedKey.armoredPrivateKey }),
      'SIGNING_PASSPHRASE_MISSING',
    ],
    ['an empty variable', () => ({ PHPUBLISH_GPG_PRIVATE_KEY: '' }), 'SIGNING_KEY_EMPTY'],
    ['no variable', () => ({}), 'SIGNING_KEY_MISSING'],
    ['a public key', () => ({ PHPUBLISH_GPG_PRIVATE_KEY: plain.armoredPublicKey }), 'SIGNING_KEY_NOT_PRIVATE'],
    [
      'malformed armor',
      () => ({ PHPUBLISH_GPG_PRIVATE_KEY: plain.armoredPrivateKey.slice(0, 300) }),
      'SIGNING_KEY_MALFORMED',
    ],
  ])('fails with %s: exit 2, the code and its remedy on stderr, nothing signed', async (_what, env, code) => {
    const result = await gpg(['--status-fd=2', '-bsau', protectedKey.fingerprint], env());
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`phpublish-gpg: ${code}: `);
    expect(result.stderr).toContain('remedy: ');
    expect(result.stderr).not.toContain('SIG_CREATED');
    expectNoSecrets(result, protectedKey);
    expect(result.stderr).not.toContain('wrong passphrase!');
  });

  it.each([
    ['an expired key', generateExpiredKey, 'SIGNING_KEY_EXPIRED'],
    ['a revoked key', generateRevokedKey, 'SIGNING_KEY_REVOKED'],
  ])('refuses %s', async (_what, make, code) => {
    const key = await make();
    const result = await gpg(['--status-fd=2', '-bsau', key.fingerprint], keyEnv(key));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(code);
  });

  it('--check-key says whether the key is ready, for when git hides gpg’s messages', async () => {
    const ready = await gpg(['--check-key'], keyEnv(protectedKey));
    expect(ready.exitCode).toBe(0);
    expect(ready.stderr).toContain(`key ${protectedKey.fingerprint} (RSA 2048, `);
    const wrong = await gpg(['--check-key'], { ...keyEnv(protectedKey), PHPUBLISH_GPG_PASSPHRASE: 'nope nope' });
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain('SIGNING_PASSPHRASE_WRONG');
  });
});

describe('when git verifies (--keyid-format=long --status-fd=1 --verify <file> -)', () => {
  const verifyArgs = ['--keyid-format=long', '--status-fd=1', '--verify', '/tmp/sig.asc', '-'];

  it('prints NEWSIG, then GOODSIG, VALIDSIG and a trust line on stdout, and exits 0', async () => {
    const signature = await signWith(plain);
    const result = await gpg(verifyArgs, keyEnv(plain), PAYLOAD, { '/tmp/sig.asc': signature });
    expect(result.exitCode).toBe(0);
    const lines = statusLines(result, 'stdout');
    expect(lines[0]).toBe('[GNUPG:] NEWSIG');
    expect(result.stdout).toContain(`\n[GNUPG:] GOODSIG ${plain.fingerprint.slice(-16)} ${plain.userId}\n`);
    expect(result.stdout).toMatch(
      new RegExp(
        `\\[GNUPG:\\] VALIDSIG ${plain.fingerprint} \\d{4}-\\d\\d-\\d\\d \\d+ 0 4 0 22 10 00 ${plain.fingerprint}\\n`,
      ),
    );
    expect(lines).toContain('[GNUPG:] TRUST_ULTIMATE 0 pgp');
    expect(result.stderr).toContain(`Good signature from "${plain.userId}"`);
    expectNoSecrets(result, plain);
  });

  it('verifies with PHPUBLISH_GPG_TRUSTED_KEYS alone, without any private key', async () => {
    const signature = await signWith(protectedKey);
    const result = await gpg(
      verifyArgs,
      { PHPUBLISH_GPG_TRUSTED_KEYS: `${plain.armoredPublicKey}\n${protectedKey.armoredPublicKey}` },
      PAYLOAD,
      {
        '/tmp/sig.asc': signature,
      },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('[GNUPG:] TRUST_FULLY 0 pgp');
  });

  it('prints BADSIG and exits 1 when one byte of the data changed', async () => {
    const signature = await signWith(plain);
    const tampered = Buffer.from(PAYLOAD);
    tampered[tampered.length - 3] ^= 0x01;
    const result = await gpg(verifyArgs, keyEnv(plain), tampered, { '/tmp/sig.asc': signature });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(`\n[GNUPG:] BADSIG ${plain.fingerprint.slice(-16)} `);
    expect(result.stdout).not.toContain('GOODSIG');
  });

  it('prints ERRSIG and NO_PUBKEY and exits 2 for a signature by an unknown key', async () => {
    const signature = await signWith(other);
    const result = await gpg(verifyArgs, keyEnv(plain), PAYLOAD, { '/tmp/sig.asc': signature });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toMatch(
      new RegExp(`\\[GNUPG:\\] ERRSIG ${other.fingerprint.slice(-16)} 22 10 00 \\d+ 9 ${other.fingerprint}\\n`),
    );
    expect(result.stdout).toContain(`[GNUPG:] NO_PUBKEY ${other.fingerprint.slice(-16)}`);
  });

  it('prints EXPKEYSIG (not GOODSIG) for a good signature by a key that has expired since', async () => {
    const expiring = await generateTestKey('ed25519', { keyExpirationTime: 3600 });
    const signature = await signWith(expiring);
    const later = await runGpgProgram({
      args: verifyArgs,
      env: { PHPUBLISH_GPG_TRUSTED_KEYS: expiring.armoredPublicKey },
      readStdin: async () => PAYLOAD,
      readFile: async () => Buffer.from(signature),
      now: () => new Date(Date.now() + 2 * 3600_000),
    });
    expect(later.exitCode).toBe(0);
    expect(later.stdout).toContain('\n[GNUPG:] EXPKEYSIG ');
    expect(later.stdout).toContain('[GNUPG:] VALIDSIG ');
    expect(later.stdout).not.toContain('GOODSIG');
  });

  it('reports an unreadable PHPUBLISH_GPG_TRUSTED_KEYS and still verifies with the signing key', async () => {
    const signature = await signWith(plain);
    const result = await gpg(verifyArgs, { ...keyEnv(plain), PHPUBLISH_GPG_TRUSTED_KEYS: 'not a key' }, PAYLOAD, {
      '/tmp/sig.asc': signature,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('TRUSTED_KEY_INVALID');
    expect(result.stdout).toContain('[GNUPG:] GOODSIG ');
  });

  it('refuses a private key in PHPUBLISH_GPG_TRUSTED_KEYS (TRUSTED_KEY_PRIVATE), prints none of it, and verifies with the other keys', async () => {
    const signature = await signWith(plain);
    const env = {
      ...keyEnv(plain),
      PHPUBLISH_GPG_TRUSTED_KEYS: `${protectedKey.armoredPublicKey}${other.armoredPrivateKey}`,
    };
    const result = await gpg(verifyArgs, env, PAYLOAD, { '/tmp/sig.asc': signature });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('TRUSTED_KEY_PRIVATE: PHPUBLISH_GPG_TRUSTED_KEYS holds a private (secret) key');
    expect(result.stdout).toContain('[GNUPG:] GOODSIG ');
    expectNoSecrets(result, other);
    expectNoSecrets(result, plain);
  });

  it.each([
    ['armored', () => other.armoredPrivateKey],
    ['base64-encoded', () => Buffer.from(other.armoredPrivateKey).toString('base64')],
  ])('trusts nothing from a PHPUBLISH_GPG_TRUSTED_KEYS that holds a private key (%s)', async (_how, trustedKeys) => {
    const signature = await signWith(other);
    const result = await gpg(verifyArgs, { PHPUBLISH_GPG_TRUSTED_KEYS: trustedKeys() }, PAYLOAD, {
      '/tmp/sig.asc': signature,
    });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain(`[GNUPG:] NO_PUBKEY ${other.fingerprint.slice(-16)}`);
    expect(result.stdout).not.toContain('GOODSIG');
    expect(result.stderr).toContain('TRUSTED_KEY_PRIVATE');
    expectNoSecrets(result, other);
  });

  it('reads base64-encoded public keys in PHPUBLISH_GPG_TRUSTED_KEYS', async () => {
    const signature = await signWith(other);
    const encoded = Buffer.from(other.armoredPublicKey).toString('base64');
    const result = await gpg(verifyArgs, { PHPUBLISH_GPG_TRUSTED_KEYS: encoded }, PAYLOAD, {
      '/tmp/sig.asc': signature,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('[GNUPG:] TRUST_FULLY 0 pgp');
  });

  it('prints NODATA and exits 2 for something that is no signature', async () => {
    const result = await gpg(verifyArgs, keyEnv(plain), PAYLOAD, { '/tmp/sig.asc': 'hello' });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('[GNUPG:] NODATA 1\n');
  });

  it('reports REVKEYSIG and exits non-zero for a good signature by a key revoked since', async () => {
    const signature = await signWith(plain);
    const openpgp = await (await import('./openpgp.js')).loadOpenPgp();
    const revoked = await openpgp.revokeKey({
      key: await openpgp.readPrivateKey({ armoredKey: plain.armoredPrivateKey }),
      format: 'armored',
    });
    const result = await gpg(verifyArgs, { PHPUBLISH_GPG_TRUSTED_KEYS: revoked.publicKey }, PAYLOAD, {
      '/tmp/sig.asc': signature,
    });
    expect(result.stdout).toContain('[GNUPG:] REVKEYSIG ');
    expect(result.stdout).not.toContain('GOODSIG');
    expect(result.exitCode).toBe(1);
  });
});

describe('when the command line is not one git uses', () => {
  it.each([
    [['--clearsign']],
    [['-s', '--status-fd=2']],
    [['--verify', 'file.asc']],
    [['-bsau', 'key', 'file.txt']],
    [['--passphrase=hunter2-secret', '-bsau', 'key']],
  ])('refuses %j with GPG_PROGRAM_USAGE, exit 2, echoing no option values', async (args) => {
    const result = await gpg(args, keyEnv(plain));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('GPG_PROGRAM_USAGE');
    expect(result.stderr).not.toContain('hunter2-secret');
  });

  it('parses the clustered short options and the fd forms git and other tools pass', () => {
    expect(parseGpgArguments(['--status-fd=2', '-bsau', 'ABCD'])).toMatchObject({
      mode: 'sign',
      detach: true,
      armor: true,
      localUser: 'ABCD',
      statusFd: 2,
    });
    expect(
      parseGpgArguments(['--status-fd', '3', '--detach-sign', '--armor', '--local-user=x', '--batch', '--yes']),
    ).toMatchObject({
      mode: 'sign',
      localUser: 'x',
      statusFd: 3,
    });
    expect(parseGpgArguments(['--keyid-format=long', '--status-fd=1', '--verify', 'sig', '-'])).toMatchObject({
      mode: 'verify',
      files: ['sig', '-'],
      statusFd: 1,
    });
  });

  it('routes status lines to another descriptor when asked', async () => {
    const result = await gpg(['--status-fd=3', '-bsau', plain.fingerprint], keyEnv(plain));
    expect(result.status?.fd).toBe(3);
    expect(result.status?.text).toContain('[GNUPG:] SIG_CREATED ');
    expect(result.stderr).not.toContain('[GNUPG:]');
  });
});

describe('when matching -u selectors like GnuPG', () => {
  const key = { fingerprints: ['0123456789ABCDEF0123456789ABCDEF01234567'], userIds: ['Alice <alice@example.org>'] };

  it.each([
    ['0123456789ABCDEF0123456789ABCDEF01234567', 'match'],
    ['0x89abcdef01234567', 'match'],
    ['01234567!', 'match'],
    ['0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567', 'match'],
    ['FFFFFFFFFFFFFFFF', 'other-key'],
    ['Alice <alice@example.org>', 'match'],
    ['alice@EXAMPLE.org', 'match'],
    ['=Alice <alice@example.org>', 'match'],
    ['=Alice', 'other-user-id'],
    ['Bob <bob@example.org>', 'other-user-id'],
  ])('%s → %s', (selector, expected) => {
    expect(matchKeySelector(key, selector)).toBe(expected);
  });
});

describe('when the key has several parts (real GnuPG and Sequoia exports)', () => {
  const primaries: Record<string, string> = {
    'default-rsa': FIXTURES['default-rsa'].primary,
    'default-ed25519': FIXTURES['default-ed25519'].primary,
    'subkey-signer': FIXTURES['subkey-signer'].primary,
    multi: FIXTURES.multi.primary,
    card: FIXTURES.card.primary,
    sq: FIXTURES.sq.primary,
  };
  const files = [
    'default-rsa.secret.asc',
    'default-rsa.secret-subkeys.asc',
    'default-ed25519.secret.asc',
    'default-ed25519.secret-subkeys.asc',
    'subkey-signer.secret-subkeys.asc',
    'subkey-signer.encryption-subkey-only.asc',
    'subkey-signer.signing-subkey-stub.asc',
    'subkey-signer.signing-keys-all-stubs.asc',
    'multi.secret.asc',
    'card.signing-subkey-on-card.asc',
    'card.secret-subkeys.asc',
    'card.all-signing-keys-on-card.asc',
    'sq.secret.asc',
    'sq.protected.asc',
  ];
  const cases = files.flatMap((file) => {
    const primary = primaries[file.split('.')[0]!]!;
    return [undefined, primary, `${primary}!`].map((selector) => [file, selector] as const);
  });

  it.each(cases)('--check-key says of %s (-u %s) exactly what signing then does', async (file, selector) => {
    const env = { PHPUBLISH_GPG_PRIVATE_KEY: fixtureText(file), PHPUBLISH_GPG_PASSPHRASE: FIXTURE_PASSPHRASE };
    const check = await gpg(['--check-key', ...(selector ? ['-u', selector] : [])], env);
    // git always names a key; without user.signingKey it is the committer.
    const signed = await gpg(['--status-fd=2', '-bsau', selector ?? 'Release Bot <bot@example.org>'], env);
    expect(signed.exitCode).toBe(check.exitCode);
    for (const result of [check, signed]) {
      expect(result.stderr).not.toContain('internal error');
      const all = `${result.stdout}${result.stderr}`;
      for (const line of fixtureSecretLines(file)) expect(all).not.toContain(line);
      expect(all).not.toContain(FIXTURE_PASSPHRASE);
    }
    if (check.exitCode !== 0) {
      const code = /phpublish-gpg: ([A-Z_]+):/.exec(check.stderr)?.[1];
      expect(code).toMatch(/^SIGNING_KEY_/);
      expect(signed.stderr).toContain(`phpublish-gpg: ${code}: `);
      expect(signed.stdout).toBe('');
      return;
    }
    const made = /\[GNUPG:\] SIG_CREATED D \d+ \d+ 00 \d+ ([0-9A-F]{40})/.exec(signed.stderr)?.[1];
    const primary = primaries[file.split('.')[0]!]!;
    expect(check.stderr).toContain(`key ${primary} (`);
    if (made === primary) expect(check.stderr).not.toContain('with its subkey');
    else expect(check.stderr).toContain(`is ready to sign, with its subkey ${made}`);
  });

  it('signs with exactly the subkey that -u <subkey>! names', async () => {
    const env = {
      PHPUBLISH_GPG_PRIVATE_KEY: fixtureText('multi.secret.asc'),
      PHPUBLISH_GPG_PASSPHRASE: FIXTURE_PASSPHRASE,
    };
    const exact = await gpg(['--status-fd=2', '-bsau', `${FIXTURES.multi.older}!`], env);
    expect(exact.exitCode, exact.stderr).toBe(0);
    expect(exact.stderr).toMatch(new RegExp(`SIG_CREATED D 22 \\d+ 00 \\d+ ${FIXTURES.multi.older}\n`));
    const preferred = await gpg(['--status-fd=2', '-bsau', FIXTURES.multi.older], env);
    expect(preferred.stderr).toMatch(new RegExp(`SIG_CREATED D 22 \\d+ 00 \\d+ ${FIXTURES.multi.newest}\n`));
    const expired = await gpg(['--status-fd=2', '-bsau', `${FIXTURES.multi.expired}!`], env);
    expect(expired.exitCode).toBe(2);
    expect(expired.stderr).toContain('SIGNING_KEY_EXPIRED');
    expect(expired.stderr).not.toContain('SIG_CREATED');
  });
});
