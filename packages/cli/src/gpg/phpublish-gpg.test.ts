import { constants } from 'node:fs';
import { access, chmod, lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitEnv } from '@phpublish/testing/git';
// Test helpers of core (key generation with openpgp.js, a fresh GnuPG home); not part of its API.
import {
  FIXTURE_PASSPHRASE,
  FIXTURES,
  fixtureSecretLines,
  fixtureText,
  freshGnupgHome,
  type GnupgHome,
  generateTestKey,
  run,
  type TestKey,
} from '@phpublish/testing/pgp';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * phpublish-gpg as git's gpg.program, end to end: the built program, real git, and a PATH on which
 * there is no gpg at all. Everything any child prints is kept, and checked for key material at the
 * end, as is the temp directory the children use.
 */
const PROGRAM = fileURLToPath(new URL('../../dist/bin/phpublish-gpg.js', import.meta.url));
const PASSPHRASE = 'phpublish-gpg end-to-end passphrase';

let work: TempDir;
/** A PATH with git and nothing else: no gpg, no gpg2, no agent. */
let binDir: string;
/** The TMPDIR of every child process, checked to be empty at the end. */
let childTmp: string;
let wrapper: string;
let ed25519: TestKey;
let rsa: TestKey;
let stranger: TestKey;
const outputs: string[] = [];
const tmpBefore = new Set<string>();

async function which(command: string): Promise<string> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error(`${command} is not on the PATH`);
}

beforeAll(async () => {
  await access(PROGRAM).catch(() => {
    throw new Error(`${PROGRAM} is missing: build first (npx -y pnpm@10.34.9 exec turbo run build)`);
  });
  for (const entry of await readdir(tmpdir())) tmpBefore.add(entry);
  work = await makeTempDir('phpublish-gpg-e2e-');
  binDir = join(work.path, 'bin');
  childTmp = join(work.path, 'tmp');
  await mkdir(binDir);
  await mkdir(childTmp);
  await symlink(await which('git'), join(binDir, 'git'));
  // git runs gpg.program directly (no shell, no PATH lookup for an absolute path); the wrapper
  // names node by its absolute path, so the PATH above is all git sees.
  wrapper = join(work.path, 'phpublish-gpg');
  await writeFile(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${PROGRAM}" "$@"\n`);
  await chmod(wrapper, 0o755);
  [ed25519, rsa, stranger] = await Promise.all([
    generateTestKey('ed25519', { passphrase: PASSPHRASE }),
    generateTestKey('rsa3072'),
    generateTestKey('ed25519', { userId: { name: 'Stranger', email: 'stranger@phpublish.invalid' } }),
  ]);
}, 120_000);

afterAll(async () => {
  await work?.cleanup();
});

/** The environment of a release job: only git on the PATH, the key in the environment. */
function jobEnv(key: TestKey | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return gitEnv({
    PATH: binDir,
    TMPDIR: childTmp,
    ...(key ? { PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey } : {}),
    ...(key?.passphrase ? { PHPUBLISH_GPG_PASSPHRASE: key.passphrase } : {}),
    ...extra,
  });
}

async function gitIn(repo: PhpPackageRepo, args: string[], env: Record<string, string>) {
  const result = await run(join(binDir, 'git'), args, { cwd: repo.dir, env });
  outputs.push(result.stdout, result.stderr);
  return result;
}

async function repoUsingPhpublishGpg(signingKey?: string): Promise<PhpPackageRepo> {
  const repo = await createPhpPackageRepo({ name: 'acme/hello' });
  await repo.git(['config', 'gpg.program', wrapper]);
  if (signingKey) await repo.git(['config', 'user.signingKey', signingKey]);
  return repo;
}

describe('when git has no gpg on its PATH', () => {
  it('cannot sign without phpublish-gpg (the machine really has no usable gpg)', async () => {
    expect((await readdir(binDir)).sort()).toEqual(['git']);
    const repo = await createPhpPackageRepo({ name: 'acme/hello' });
    const result = await gitIn(repo, ['tag', '-s', '-m', 'Release v1.0.0', 'v1.0.0'], jobEnv(ed25519));
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/cannot run gpg|gpg failed to sign/);
    await repo.cleanup();
  });

  it('git tag -s and git verify-tag work through phpublish-gpg', async () => {
    const repo = await repoUsingPhpublishGpg(ed25519.fingerprint);
    const tagged = await gitIn(repo, ['tag', '-s', '-m', 'Release v1.0.0', 'v1.0.0'], jobEnv(ed25519));
    expect(tagged.exitCode, tagged.stderr).toBe(0);
    const object = await gitIn(repo, ['cat-file', 'tag', 'v1.0.0'], jobEnv(undefined));
    expect(object.stdout).toContain('\nRelease v1.0.0\n-----BEGIN PGP SIGNATURE-----\n');

    const verified = await gitIn(repo, ['verify-tag', 'v1.0.0'], jobEnv(ed25519));
    expect(verified.exitCode, verified.stderr).toBe(0);
    expect(verified.stderr).toContain(`Good signature from "${ed25519.userId}"`);
    const raw = await gitIn(repo, ['verify-tag', '--raw', 'v1.0.0'], jobEnv(ed25519));
    expect(raw.stderr).toContain('[GNUPG:] GOODSIG ');
    expect(raw.stderr).toContain('[GNUPG:] TRUST_ULTIMATE 0 pgp');
    await repo.cleanup();
  });

  it('signs with git’s default key selector (the committer) and with an RSA key', async () => {
    const repo = await repoUsingPhpublishGpg();
    const tagged = await gitIn(repo, ['tag', '-s', '-m', 'Release v1.0.0', 'v1.0.0'], jobEnv(rsa));
    expect(tagged.exitCode, tagged.stderr).toBe(0);
    const verified = await gitIn(
      repo,
      ['verify-tag', 'v1.0.0'],
      jobEnv(undefined, { PHPUBLISH_GPG_TRUSTED_KEYS: rsa.armoredPublicKey }),
    );
    expect(verified.exitCode, verified.stderr).toBe(0);
    await repo.cleanup();
  });

  it('makes tags that stock git and real GnuPG verify', async () => {
    const repo = await repoUsingPhpublishGpg(ed25519.fingerprint);
    expect((await gitIn(repo, ['tag', '-s', '-m', 'Release v1.0.0', 'v1.0.0'], jobEnv(ed25519))).exitCode).toBe(0);
    let gnupg: GnupgHome | undefined;
    try {
      gnupg = await freshGnupgHome();
      await gnupg.importPublicKey(ed25519.armoredPublicKey);
      // A consumer: gpg.program unset, the system's gpg on the usual PATH.
      const consumer = await run('git', ['-c', 'gpg.program=gpg', 'verify-tag', '--raw', 'v1.0.0'], {
        cwd: repo.dir,
        env: gitEnv({ ...gnupg.env, TMPDIR: childTmp }),
      });
      outputs.push(consumer.stdout, consumer.stderr);
      expect(consumer.exitCode, consumer.stderr).toBe(0);
      expect(consumer.stderr).toContain(`[GNUPG:] VALIDSIG ${ed25519.fingerprint} `);
    } finally {
      await gnupg?.cleanup();
      await repo.cleanup();
    }
  });

  it('git verify-tag fails through phpublish-gpg when the tag was tampered with, or signed by a stranger', async () => {
    const repo = await repoUsingPhpublishGpg(ed25519.fingerprint);
    expect((await gitIn(repo, ['tag', '-s', '-m', 'Release v1.0.0', 'v1.0.0'], jobEnv(ed25519))).exitCode).toBe(0);
    const object = (await gitIn(repo, ['cat-file', 'tag', 'v1.0.0'], jobEnv(undefined))).stdout;
    const tampered = object.replace('Release v1.0.0', 'Release v1.0.1');
    const oid = (
      await run(join(binDir, 'git'), ['hash-object', '-t', 'tag', '-w', '--stdin'], {
        cwd: repo.dir,
        env: jobEnv(undefined),
        input: tampered,
      })
    ).stdout.trim();
    await gitIn(repo, ['update-ref', 'refs/tags/v1.0.0', oid], jobEnv(undefined));
    const bad = await gitIn(repo, ['verify-tag', '--raw', 'v1.0.0'], jobEnv(ed25519));
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain('[GNUPG:] BADSIG ');

    const other = await repoUsingPhpublishGpg(stranger.fingerprint);
    expect((await gitIn(other, ['tag', '-s', '-m', 'Release v1.0.0', 'v1.0.0'], jobEnv(stranger))).exitCode).toBe(0);
    const unknown = await gitIn(other, ['verify-tag', '--raw', 'v1.0.0'], jobEnv(ed25519));
    expect(unknown.exitCode).not.toBe(0);
    expect(unknown.stderr).toContain('[GNUPG:] NO_PUBKEY ');
    await repo.cleanup();
    await other.cleanup();
  });

  it.each([
    ['a wrong passphrase', () => jobEnv(ed25519, { PHPUBLISH_GPG_PASSPHRASE: 'not the passphrase at all' })],
    ['an empty key variable', () => jobEnv(undefined, { PHPUBLISH_GPG_PRIVATE_KEY: '' })],
    ['a key git did not ask for', () => jobEnv(stranger)],
  ])('git tag -s fails with %s and creates no tag', async (_what, env) => {
    const repo = await repoUsingPhpublishGpg(ed25519.fingerprint);
    const tagged = await gitIn(repo, ['tag', '-s', '-m', 'Release v1.0.0', 'v1.0.0'], env());
    expect(tagged.exitCode).not.toBe(0);
    expect(tagged.stderr).toContain('gpg failed to sign the data');
    expect((await gitIn(repo, ['tag', '--list'], jobEnv(undefined))).stdout).toBe('');
    await repo.cleanup();
  });

  it('phpublish-gpg --check-key shows the reason that git 2.39 hides', async () => {
    const checked = await run(wrapper, ['--check-key'], {
      env: jobEnv(ed25519, { PHPUBLISH_GPG_PASSPHRASE: 'not the passphrase at all' }),
    });
    outputs.push(checked.stdout, checked.stderr);
    expect(checked.exitCode).toBe(2);
    expect(checked.stderr).toContain('SIGNING_PASSPHRASE_WRONG');
  });
});

describe('when the key is a GnuPG export with subkeys', () => {
  const multi = FIXTURES.multi;
  const exportEnv = (file: string) =>
    jobEnv(undefined, { PHPUBLISH_GPG_PRIVATE_KEY: fixtureText(file), PHPUBLISH_GPG_PASSPHRASE: FIXTURE_PASSPHRASE });

  it('honours user.signingKey with "!": git tag -s signs with exactly that subkey, and real GnuPG agrees', async () => {
    const repo = await repoUsingPhpublishGpg(`${multi.older}!`);
    const tagged = await gitIn(repo, ['tag', '-s', '-m', 'Release v1.0.0', 'v1.0.0'], exportEnv('multi.secret.asc'));
    expect(tagged.exitCode, tagged.stderr).toBe(0);
    let gnupg: GnupgHome | undefined;
    try {
      gnupg = await freshGnupgHome();
      await gnupg.importPublicKey(fixtureText('multi.public.asc'));
      const consumer = await run('git', ['-c', 'gpg.program=gpg', 'verify-tag', '--raw', 'v1.0.0'], {
        cwd: repo.dir,
        env: gitEnv({ ...gnupg.env, TMPDIR: childTmp }),
      });
      outputs.push(consumer.stdout, consumer.stderr);
      expect(consumer.exitCode, consumer.stderr).toBe(0);
      // Without "!" gpg would have used the newest signing subkey.
      expect(consumer.stderr).toContain(`[GNUPG:] VALIDSIG ${multi.older} `);
    } finally {
      await gnupg?.cleanup();
      await repo.cleanup();
    }
  });

  it.each([
    ['an expired subkey asked for with "!"', 'multi.secret.asc', `${multi.expired}!`, 'SIGNING_KEY_EXPIRED'],
    [
      'a stub primary (--export-secret-subkeys)',
      'default-rsa.secret-subkeys.asc',
      undefined,
      'SIGNING_KEY_CANNOT_SIGN',
    ],
  ])('git tag -s fails for %s, and --check-key says why', async (_what, file, signingKey, code) => {
    const repo = await repoUsingPhpublishGpg(signingKey);
    const tagged = await gitIn(repo, ['tag', '-s', '-m', 'Release v1.0.0', 'v1.0.0'], exportEnv(file));
    expect(tagged.exitCode).not.toBe(0);
    expect((await gitIn(repo, ['tag', '--list'], jobEnv(undefined))).stdout).toBe('');
    const checked = await run(wrapper, ['--check-key', ...(signingKey ? ['-u', signingKey] : [])], {
      env: exportEnv(file),
    });
    outputs.push(checked.stdout, checked.stderr);
    expect(checked.exitCode).toBe(2);
    expect(checked.stderr).toContain(code);
    await repo.cleanup();
  });
});

describe('when the runs are over', () => {
  const secretsOf = (key: TestKey) => [
    ...key.armoredPrivateKey.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-')),
    ...(key.passphrase ? [key.passphrase] : []),
  ];

  it('no output of git or phpublish-gpg contained key material or a passphrase', () => {
    expect(outputs.length).toBeGreaterThan(20);
    const all = outputs.join('\n');
    for (const secret of [ed25519, rsa, stranger].flatMap(secretsOf)) expect(all).not.toContain(secret);
    for (const file of ['multi.secret.asc', 'default-rsa.secret-subkeys.asc']) {
      for (const line of fixtureSecretLines(file)) expect(all).not.toContain(line);
    }
    expect(all).not.toContain(FIXTURE_PASSPHRASE);
    expect(all).not.toContain('PRIVATE KEY');
  });

  it('left nothing in the children’s temp directory', async () => {
    expect(await readdir(childTmp)).toEqual([]);
  });

  it('wrote no key material to any new file in the system temp directory', async () => {
    const secrets = [ed25519, rsa, stranger].flatMap(secretsOf);
    const leaks: string[] = [];
    const scan = async (path: string, depth: number): Promise<void> => {
      const stat = await lstat(path).catch(() => undefined);
      if (!stat || stat.isSymbolicLink()) return;
      if (stat.isDirectory()) {
        if (depth > 8) return;
        const entries = await readdir(path).catch(() => []);
        for (const entry of entries) await scan(join(path, entry), depth + 1);
        return;
      }
      if (!stat.isFile() || stat.size > 4 * 1024 * 1024) return;
      const text = await readFile(path, 'latin1').catch(() => '');
      if (text.includes('PRIVATE KEY BLOCK') || secrets.some((s) => text.includes(s))) leaks.push(path);
    };
    for (const entry of await readdir(tmpdir())) {
      if (!tmpBefore.has(entry)) await scan(join(tmpdir(), entry), 0);
    }
    expect(leaks).toEqual([]);
  });
});
