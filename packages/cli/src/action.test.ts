import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AttestationSandbox, startAttestationSandbox } from '@phpublish/sandbox';
import { git, gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, startPackagistFixture } from '@phpublish/testing/packagist';
import { type BareRemote, createBareRemote } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { DEFAULT_TRUSTED_KEYS, runAction } from '../../../action/phpublish-action.mjs';
import { runCli } from './commands/testing/run-cli.js';
import { EXIT } from './exit-codes.js';

const run = promisify(execFile);

/** A GnuPG home with one key, as a maintainer has on their machine. */
interface GpgKey {
  home: string;
  fingerprint: string;
  publicKey: string;
}

let gpgHomes: TempDir;

async function gpgKey(name: string): Promise<GpgKey> {
  const home = join(gpgHomes.path, name.toLowerCase());
  await mkdir(home, { mode: 0o700 });
  const gpg = (args: string[]) => run('gpg', ['--batch', '--homedir', home, ...args]);
  await gpg([
    '--passphrase',
    '',
    '--pinentry-mode',
    'loopback',
    '--quick-gen-key',
    `${name} <${name.toLowerCase()}@phpublish.invalid>`,
    'ed25519',
    'sign',
    'never',
  ]);
  const { stdout } = await gpg(['--with-colons', '--list-keys']);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(stdout)![1]!;
  const { stdout: publicKey } = await gpg(['--armor', '--export', fingerprint]);
  return { home, fingerprint, publicKey };
}

let maintainer: GpgKey;
let mallory: GpgKey;
let fixture: PackagistFixture;
let services: AttestationSandbox;
let remote: BareRemote;
let work: TempDir;

beforeAll(async () => {
  gpgHomes = await makeTempDir('phpublish-action-gpg-');
  [maintainer, mallory] = await Promise.all([gpgKey('Maintainer'), gpgKey('Mallory')]);
}, 60_000);

afterAll(async () => {
  await gpgHomes?.cleanup();
});

beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
  services = await startAttestationSandbox();
  services.github.addRepository('acme/hello');
  remote = await createBareRemote();
  work = await makeTempDir('phpublish-action-run-');
  // The release signers' public keys, committed where the action reads them by default.
  await fixture.repo.commit({ [DEFAULT_TRUSTED_KEYS]: maintainer.publicKey }, 'Release keys');
  await fixture.repo.git(['remote', 'add', 'origin', remote.dir]);
  await fixture.repo.git(['push', '-q', 'origin', 'main']);
});

afterEach(async () => {
  await services.close();
  await fixture.cleanup();
  await remote.cleanup();
  await work.cleanup();
});

/** The maintainer's `git tag -s` with their own gpg (or another kind of tag), then `git push`. */
async function pushTag(tag: string, how: 'signed' | 'mallory' | 'unsigned' | 'lightweight'): Promise<string> {
  const key = how === 'mallory' ? mallory : maintainer;
  const env = { ...gitEnv(), GNUPGHOME: key.home };
  const args =
    how === 'lightweight'
      ? ['tag', tag]
      : how === 'unsigned'
        ? ['tag', '-a', tag, '-m', `Release ${tag}`]
        : [
            '-c',
            'gpg.program=gpg',
            '-c',
            `user.signingKey=${key.fingerprint}`,
            'tag',
            '-s',
            tag,
            '-m',
            `Release ${tag}`,
          ];
  await git(fixture.repo.dir, args, { env });
  await git(fixture.repo.dir, ['push', '-q', 'origin', `refs/tags/${tag}`], { env });
  return (await git(fixture.repo.dir, ['rev-parse', `${tag}^{commit}`])).trim();
}

/**
 * A job's checkout as actions/checkout leaves it for a tag push: the commit, with the tag written
 * back as a lightweight ref (the signed tag object is not there).
 */
async function checkout(tag: string, commit: string): Promise<string> {
  const dir = join(work.path, `checkout-${Math.random().toString(16).slice(2)}`);
  await git(work.path, ['clone', '-q', '--no-tags', remote.dir, dir]);
  await git(dir, ['checkout', '-q', '--detach', commit]);
  await git(dir, ['tag', tag, commit]);
  return dir;
}

interface ActionRun {
  code: number;
  output: string;
  summary: string;
}

/** The action's script with the environment GitHub sets for a job, `phpublish` being the real main(). */
async function runTheAction(
  cwd: string,
  job: { ref: string; sha: string },
  inputs: Record<string, string> = {},
  extraEnv: Record<string, string> = {},
): Promise<ActionRun> {
  const ci = services.githubIssuer.gitHubActionsJob({ repository: 'acme/hello', ...job });
  const summaryFile = join(work.path, `summary-${Math.random().toString(16).slice(2)}.md`);
  await writeFile(summaryFile, '');
  const configFile = join(work.path, 'phpublish.config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      attest: {
        fulcioUrl: services.sigstore.fulcioUrl,
        rekorUrl: services.sigstore.rekorUrl,
        githubApiUrl: services.github.url,
      },
      packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, confirm: { timeout: 30 } },
    }),
  );
  const env: Record<string, string> = {
    ...gitEnv(),
    ...ci.env,
    GITHUB_API_URL: services.github.url,
    GITHUB_TOKEN: services.github.issueToken('acme/hello', { contents: 'read', attestations: 'write' }),
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: work.path,
    PACKAGIST_USERNAME: 'alice',
    PACKAGIST_API_TOKEN: fixture.alice.safeToken,
    INPUT_CONFIG: configFile,
    ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name}`, value])),
    ...extraEnv,
  };
  let output = '';
  onTestFailed(() => console.error(output));
  const code = await runAction({
    env,
    cwd,
    phpublish: async (argv, runEnv) => {
      const result = await runCli(argv, { cwd, env: runEnv });
      output += result.stdout + result.stderr;
      return result.code;
    },
    git: async (args) => {
      try {
        await run('git', args, { cwd, env });
        return { code: 0, stderr: '' };
      } catch (error) {
        return { code: 1, stderr: String((error as { stderr?: string }).stderr ?? error) };
      }
    },
    log: (line) => {
      output += `${line}\n`;
    },
  });
  return { code, output, summary: await readFile(summaryFile, 'utf8') };
}

/** What Packagist serves for v1.0.0 of acme/hello: its commit, or undefined. */
async function servedCommit(): Promise<string | undefined> {
  const { status, body } = await fixture.getJson('/p2/acme/hello.json');
  if (status !== 200) return undefined;
  const versions = (body as { packages: Record<string, { version: string; source?: { reference?: string } }[]> })
    .packages['acme/hello'];
  return versions?.find((v) => v.version === 'v1.0.0')?.source?.reference;
}

describe('the GitHub Action, mode publish', () => {
  describe('when the maintainer signed the tag with their own gpg and pushed it', () => {
    it('checks the signature, attests the zip, notifies Packagist, confirms, and writes the job summary', async () => {
      const commit = await pushTag('v1.0.0', 'signed');
      const dir = await checkout('v1.0.0', commit);
      const result = await runTheAction(dir, { ref: 'refs/tags/v1.0.0', sha: commit });
      expect(result.code).toBe(EXIT.ok);
      expect(result.output).toContain(`v1.0.0 is signed by ${maintainer.fingerprint}, a trusted key.`);
      // The attestation store holds it (no release assets unless asked for).
      expect(services.github.attestations('acme/hello')).toHaveLength(1);
      expect(await servedCommit()).toBe(commit);
      expect(result.summary).toContain('acme/hello');
      expect(result.summary).toContain(maintainer.fingerprint);
      expect(result.output).not.toContain(fixture.alice.safeToken);
    });
  });

  describe('when the tag was not signed by a trusted key, nothing is published', () => {
    it.each([
      ['signed by a key that is not trusted', 'mallory', 'TAG_SIGNER_UNTRUSTED'],
      ['annotated but unsigned', 'unsigned', 'TAG_NOT_SIGNED'],
      ['lightweight', 'lightweight', 'TAG_NOT_ANNOTATED'],
    ] as const)('fails a tag %s (%s) with %s', async (_what, how, code) => {
      const commit = await pushTag('v1.0.0', how);
      const dir = await checkout('v1.0.0', commit);
      const result = await runTheAction(dir, { ref: 'refs/tags/v1.0.0', sha: commit });
      expect(result.code).toBe(EXIT.failed);
      expect(result.output).toContain(code);
      expect(result.output).toContain('::error title=phpublish publish failed::v1.0.0 was not published');
      expect(services.github.attestations('acme/hello')).toHaveLength(0);
      expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
      expect(await servedCommit()).toBeUndefined();
    });

    it('fails when the repository has no trusted keys file', async () => {
      const commit = await pushTag('v1.0.0', 'signed');
      const dir = await checkout('v1.0.0', commit);
      const result = await runTheAction(
        dir,
        { ref: 'refs/tags/v1.0.0', sha: commit },
        { TRUSTED_KEYS: 'keys/none.asc' },
      );
      expect(result.code).toBe(EXIT.failed);
      expect(result.output).toMatch(
        /^::error title=phpublish action::the trusted keys file keys\/none\.asc cannot be read/m,
      );
      expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
    });

    it('fails when the workflow runs for a branch, not a tag', async () => {
      const dir = await checkout('v0.0.0', fixture.repo.head);
      const result = await runTheAction(dir, { ref: 'refs/heads/main', sha: fixture.repo.head });
      expect(result.code).toBe(EXIT.failed);
      expect(result.output).toContain('mode publish releases a pushed tag, but this run is for refs/heads/main');
    });
  });
});

describe('the GitHub Action, mode monitor', () => {
  it('passes while every version was published through it, and fails loudly once one was not', async () => {
    const commit = await pushTag('v1.0.0', 'signed');
    const dir = await checkout('v1.0.0', commit);
    expect((await runTheAction(dir, { ref: 'refs/tags/v1.0.0', sha: commit })).code).toBe(EXIT.ok);

    const policy = join(work.path, 'phpublish.policy.json');
    await writeFile(join(work.path, 'maintainer.asc'), maintainer.publicKey);
    await writeFile(join(work.path, 'trusted_root.json'), JSON.stringify(services.sigstore.trustedRoot));
    await writeFile(
      policy,
      JSON.stringify({
        packagistUrl: fixture.packagist.url,
        githubApiUrl: services.github.url,
        trustedRoot: 'trusted_root.json',
        packages: {
          'acme/hello': {
            keys: ['maintainer.asc'],
            identities: [
              {
                issuer: services.githubIssuer.issuer,
                repository: 'acme/hello',
                workflow: '.github/workflows/release.yml',
                ref: 'refs/tags/{tag}',
              },
            ],
          },
        },
      }),
    );
    const scheduled = { ref: 'refs/heads/main', sha: commit };
    const monitor = { MODE: 'monitor', POLICY: policy };
    // verify fetches tags from the repository Packagist names, https://github.com/acme/hello.git: the local one here.
    const localGit = {
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_1: `url.${fixture.repo.dir}.insteadOf`,
      GIT_CONFIG_VALUE_1: 'https://github.com/acme/hello.git',
    };
    const good = await runTheAction(dir, scheduled, monitor, localGit);
    expect(good.code).toBe(EXIT.ok);
    expect(good.summary).toMatch(/^\| v1\.0\.0 \| [^|]+ \| verified \|/m);

    // With a stolen Packagist token: an unsigned tag, and a crawl.
    await pushTag('v1.1.0', 'unsigned');
    const crawl = await fixture.postJson('/api/update-package', { repository: 'https://github.com/acme/hello' });
    expect(crawl.status).toBe(202);
    await fixture.packagist.idle();
    const flagged = await runTheAction(dir, scheduled, monitor, localGit);
    expect(flagged.code).toBe(EXIT.failed);
    expect(flagged.output).toContain('::error title=phpublish monitor::A version of acme/hello');
    expect(flagged.summary).toMatch(/^\| v1\.1\.0 \| [^|]+ \| FAILED \| tag signature: VERIFY_TAG_UNSIGNED; /m);
  });
});
