import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttestationSandbox, startAttestationSandbox } from '@phpublish/sandbox';
import { git, gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, startPackagistFixture } from '@phpublish/testing/packagist';
// Test helpers of core: real GnuPG and Sequoia exports, and a fresh GnuPG home.
import {
  FIXTURE_PASSPHRASE,
  FIXTURES,
  fixtureBytes,
  fixtureSecretLines,
  fixtureText,
  freshGnupgHome,
  type GnupgHome,
  run as runProgram,
} from '@phpublish/testing/pgp';
import { type BareRemote, createBareRemote } from '@phpublish/testing/php-package-repo';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { EXIT } from '../exit-codes.js';
import { runCli } from './testing/run-cli.js';

/**
 * Signing keys as people really export them (GnuPG 2.2 and Sequoia), through the real `main()`:
 * what the preflight and doctor say about a key is what signing then does, and no run prints any
 * of the key or its passphrase.
 */
let fixture: PackagistFixture;
let services: AttestationSandbox;
let remote: BareRemote;
let gnupg: GnupgHome;
/** Every file whose secrets any run may have seen, and everything every run printed. */
const seenKeys = new Set<string>();
const outputs: string[] = [];

beforeAll(async () => {
  gnupg = await freshGnupgHome();
});

afterAll(async () => {
  await gnupg?.cleanup();
});

beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
  services = await startAttestationSandbox();
  services.github.addRepository('acme/hello');
  services.github.createRelease('acme/hello', 'v1.0.0');
  remote = await createBareRemote();
  await fixture.repo.git(['remote', 'add', 'origin', remote.dir]);
  await fixture.repo.git(['push', '-q', 'origin', 'main']);
  await writeFile(
    join(fixture.repo.dir, 'phpublish.config.json'),
    JSON.stringify({
      attest: {
        fulcioUrl: services.sigstore.fulcioUrl,
        rekorUrl: services.sigstore.rekorUrl,
        githubApiUrl: services.github.url,
      },
      packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, confirm: { timeout: 30 } },
    }),
  );
});

afterEach(async () => {
  await services.close();
  await fixture.cleanup();
  await remote.cleanup();
});

/** A release job's environment with `key` (a fixture file, or text) as PHPUBLISH_GPG_PRIVATE_KEY. */
function env(key: { file: string; text?: string; passphrase?: string }): Record<string, string> {
  seenKeys.add(key.file);
  const job = services.githubIssuer.gitHubActionsJob({ repository: 'acme/hello', sha: fixture.repo.head });
  return {
    ...gitEnv(),
    ...job.env,
    GITHUB_API_URL: services.github.url,
    GITHUB_TOKEN: services.github.issueToken('acme/hello', { contents: 'write', attestations: 'write' }),
    PACKAGIST_USERNAME: 'alice',
    PACKAGIST_API_TOKEN: fixture.alice.safeToken,
    PHPUBLISH_GPG_PRIVATE_KEY: key.text ?? fixtureText(key.file),
    ...(key.passphrase === undefined ? {} : { PHPUBLISH_GPG_PASSPHRASE: key.passphrase }),
  };
}

async function phpublish(argv: string[], environment: Record<string, string>, cwd = fixture.repo.dir) {
  let stdout = '';
  let stderr = '';
  onTestFailed(() => console.error(`stdout:\n${stdout}\nstderr:\n${stderr}`));
  const cli = await runCli(argv, { cwd, env: environment });
  ({ stdout, stderr } = cli);
  const code = cli.code;
  outputs.push(stdout, stderr);
  return { code, stdout, stderr };
}

describe('when the primary key is a stub (gpg --export-secret-subkeys of GnuPG’s default key)', () => {
  it('publish refuses in the preflight with SIGNING_KEY_CANNOT_SIGN, before any tag exists', async () => {
    const { code, stderr } = await phpublish(
      ['publish', 'v1.0.0'],
      env({ file: 'default-rsa.secret-subkeys.asc', passphrase: FIXTURE_PASSPHRASE }),
    );
    expect(code).toBe(EXIT.failed);
    expect(stderr).toContain(
      `SIGNING_KEY_CANNOT_SIGN: The key ${FIXTURES['default-rsa'].primary} has no key or subkey that can sign here: the primary key ${FIXTURES['default-rsa'].primary} is a stub without its secret part`,
    );
    expect(stderr).not.toContain('internal error');
    expect(stderr).not.toContain('SIGNING_KEY_MALFORMED');
    expect(await git(remote.dir, ['tag', '--list'])).toBe('');
    expect(await fixture.repo.git(['tag', '--list'])).toBe('');
  });

  it('doctor shows the same problem in its signing row', async () => {
    const { code, stdout } = await phpublish(
      ['doctor', '--json'],
      env({ file: 'card.secret-subkeys.asc', passphrase: FIXTURE_PASSPHRASE }),
    );
    expect(code).toBe(EXIT.failed);
    const rows = JSON.parse(stdout) as { area: string; status: string; codes: string[]; detail: string }[];
    const signing = rows.find((row) => row.area === 'Signed tags');
    expect(signing).toMatchObject({ status: 'problem', codes: ['SIGNING_KEY_CANNOT_SIGN'] });
    expect(signing!.detail).toContain('smartcard');
  });
});

describe('when the key signs with a subkey (the export CI hygiene guides recommend)', () => {
  it('publish signs the tag with the signing subkey, and stock git with real GnuPG verifies it', async () => {
    const signer = FIXTURES['subkey-signer'];
    const dry = await phpublish(
      ['publish', 'v1.0.0', '--dry-run'],
      env({ file: 'subkey-signer.secret-subkeys.asc', passphrase: FIXTURE_PASSPHRASE }),
    );
    expect(dry.code).toBe(EXIT.ok);
    expect(dry.stderr).toContain(`signed tag (key ${signer.primary})`);

    const published = await phpublish(
      ['publish', 'v1.0.0', '--json'],
      env({ file: 'subkey-signer.secret-subkeys.asc', passphrase: FIXTURE_PASSPHRASE }),
    );
    expect(published.code).toBe(EXIT.ok);
    expect(JSON.parse(published.stdout).posture.signedTag.signerFingerprint).toBe(signer.primary);
    await gnupg.importPublicKey(fixtureText('subkey-signer.public.asc'));
    const verified = await runProgram('git', ['-c', 'gpg.program=gpg', 'verify-tag', '--raw', 'v1.0.0'], {
      cwd: remote.dir,
      env: gitEnv(gnupg.env),
    });
    expect(verified.exitCode, verified.stderr).toBe(0);
    expect(verified.stderr).toContain(`[GNUPG:] VALIDSIG ${signer.signing} `);
    expect(verified.stderr).toMatch(new RegExp(` ${signer.primary}\\n`));
  });
});

describe('when the key text arrived altered, or holds more than one key', () => {
  it('reads a base64-encoded key, says it decoded it, and prints none of it', async () => {
    const encoded = Buffer.from(fixtureText('sq.protected.asc')).toString('base64');
    const { code, stderr } = await phpublish(
      ['publish', 'v1.0.0', '--dry-run'],
      env({ file: 'sq.protected.asc', text: encoded, passphrase: FIXTURE_PASSPHRASE }),
    );
    expect(code).toBe(EXIT.ok);
    expect(stderr).toContain('PHPUBLISH_GPG_PRIVATE_KEY is base64-encoded armor; it was decoded');
    expect(stderr).toContain(`signed tag (key ${FIXTURES.sq.primary})`);
    expect(stderr).not.toContain(encoded.slice(0, 40));
  });

  it('notes a passphrase set for a key that has none', async () => {
    const { code, stderr } = await phpublish(
      ['publish', 'v1.0.0', '--dry-run'],
      env({ file: 'sq.secret.asc', passphrase: FIXTURE_PASSPHRASE }),
    );
    expect(code).toBe(EXIT.ok);
    expect(stderr).toContain(
      `PHPUBLISH_GPG_PASSPHRASE is set, but the key ${FIXTURES.sq.primary} is not protected by a passphrase; the passphrase was not used`,
    );
  });

  it('refuses two concatenated key blocks as ambiguous', async () => {
    seenKeys.add('default-ed25519.secret.asc');
    const text = fixtureText('sq.secret.asc') + fixtureText('default-ed25519.secret.asc');
    const { code, stderr } = await phpublish(['publish', 'v1.0.0', '--dry-run'], env({ file: 'sq.secret.asc', text }));
    expect(code).toBe(EXIT.failed);
    expect(stderr).toContain('SIGNING_KEY_AMBIGUOUS: PHPUBLISH_GPG_PRIVATE_KEY holds 2 armored blocks');
  });
});

describe('when a policy of phpublish verify names a private key file', () => {
  it('refuses the policy with VERIFY_POLICY_INVALID, saying the key file holds a private key', async () => {
    seenKeys.add('subkey-signer.secret-subkeys.asc');
    const dir = await mkdtemp(join(tmpdir(), 'phpublish-policy-'));
    try {
      await writeFile(join(dir, 'maintainer.asc'), fixtureText('subkey-signer.secret-subkeys.asc'));
      await writeFile(
        join(dir, 'policy.json'),
        JSON.stringify({ packages: { 'acme/hello': { keys: ['maintainer.asc'], requireAttestation: false } } }),
      );
      const { code, stderr } = await phpublish(
        ['verify', 'acme/hello', 'v1.0.0', '--policy', 'policy.json', '--packagist-url', fixture.packagist.url],
        { PATH: process.env['PATH'] ?? '' },
        dir,
      );
      expect(code).toBe(EXIT.failed);
      expect(stderr).toContain('VERIFY_POLICY_INVALID');
      expect(stderr).toContain(`${join(dir, 'maintainer.asc')} holds a private (secret) key`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('when a policy of phpublish verify names a binary (non-armored) public key file', () => {
  it('reads it as it reads an armored one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'phpublish-policy-'));
    try {
      await writeFile(join(dir, 'maintainer.gpg'), fixtureBytes('subkey-signer.public.gpg'));
      await writeFile(
        join(dir, 'policy.json'),
        JSON.stringify({ packages: { 'acme/hello': { keys: ['maintainer.gpg'], requireAttestation: false } } }),
      );
      const { stderr } = await phpublish(
        ['verify', 'acme/hello', 'v1.0.0', '--policy', 'policy.json', '--packagist-url', fixture.packagist.url],
        { PATH: process.env['PATH'] ?? '' },
        dir,
      );
      expect(stderr).not.toMatch(/misformed/i);
      // The policy is usable: whatever verify then finds, the key file was not the problem.
      expect(stderr).not.toContain('VERIFY_POLICY_INVALID');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('when every run is over', () => {
  it('no output contained a line of any key or its passphrase', () => {
    expect(outputs.length).toBeGreaterThan(10);
    const all = outputs.join('\n');
    for (const file of seenKeys) for (const line of fixtureSecretLines(file)) expect(all).not.toContain(line);
    expect(all).not.toContain(FIXTURE_PASSPHRASE);
  });
});
