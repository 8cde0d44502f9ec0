import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { runGpgProgram } from './gpg-program.js';
import { loadOpenPgp } from './openpgp.js';

const PAYLOAD = Buffer.from('object 0123456789012345678901234567890123456789\ntype commit\ntag v1.0.0\n\nRelease\n');
const VERIFY = ['--keyid-format=long', '--status-fd=1', '--verify', '/tmp/sig.asc'];

let key: TestKey;
let signature: string;

/** Runs the program with in-memory standard input and files, as phpublish-gpg would in a process. */
function gpg(args: string[], env: Record<string, string>, files: Record<string, Uint8Array | string> = {}) {
  return runGpgProgram({
    args,
    env,
    readStdin: async () => PAYLOAD,
    readFile: async (path) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return Buffer.from(content);
    },
  });
}

beforeAll(async () => {
  key = await generateTestKey('ed25519');
  const signed = await gpg(['--status-fd=2', '-bsau', key.fingerprint], {
    PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
  });
  expect(signed.exitCode, signed.stderr).toBe(0);
  signature = signed.stdout;
});

describe('when a tool asks what phpublish-gpg is', () => {
  it('answers --version and --help on stdout with exit 0, needing no key', async () => {
    const version = await gpg(['--version'], {});
    expect(version.exitCode).toBe(0);
    expect(version.stdout).toMatch(/^phpublish-gpg \S+\n/);
    const help = await gpg(['--help'], {});
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--verify <sig> -');
  });
});

describe('when verifying with the signed data in a file rather than on standard input', () => {
  it('reads the data file and says GOODSIG', async () => {
    const result = await gpg(
      [...VERIFY, '/tmp/data'],
      { PHPUBLISH_GPG_TRUSTED_KEYS: key.armoredPublicKey },
      {
        '/tmp/sig.asc': signature,
        '/tmp/data': PAYLOAD,
      },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('[GNUPG:] GOODSIG ');
  });
});

describe('when phpublish-gpg has no key to verify with', () => {
  it('says there are no public keys at all (not that this key is untrusted), with NO_PUBKEY and exit 2', async () => {
    const result = await gpg([...VERIFY, '-'], {}, { '/tmp/sig.asc': signature });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain(`[GNUPG:] NO_PUBKEY ${key.fingerprint.slice(-16)}`);
    expect(result.stderr).toContain(
      "Can't check signature: no public keys (set PHPUBLISH_GPG_PRIVATE_KEY or PHPUBLISH_GPG_TRUSTED_KEYS)",
    );
  });
});

describe('when the signing key was revoked and the data changed', () => {
  it('reports BADSIG (not REVKEYSIG) and exits 1', async () => {
    const openpgp = await loadOpenPgp();
    const revoked = await openpgp.revokeKey({
      key: await openpgp.readPrivateKey({ armoredKey: key.armoredPrivateKey }),
      format: 'armored',
    });
    const tampered = Buffer.from(PAYLOAD);
    tampered[tampered.length - 2] ^= 1;
    const result = await gpg(
      [...VERIFY, '/tmp/data'],
      { PHPUBLISH_GPG_TRUSTED_KEYS: revoked.publicKey },
      {
        '/tmp/sig.asc': signature,
        '/tmp/data': tampered,
      },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('[GNUPG:] BADSIG ');
    expect(result.stdout).not.toContain('REVKEYSIG');
    expect(result.stdout).not.toContain('VALIDSIG');
  });
});
