import { execFile } from 'node:child_process';
import { mkdir, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { git, gitEnv } from '@phpublish/testing/git';
import { freshGnupgHome } from '@phpublish/testing/pgp';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterEach, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { EXIT } from '../exit-codes.js';
import type { HostRehearsalResult } from './rehearse.js';
import { runCli } from './testing/run-cli.js';

// The real tools (dev dependencies of the CLI) and the workspace's plugins as built (the test
// command builds before testing), linked into each test repository's node_modules the way an
// `npm install --save-dev release-it @phpublish/release-it` would put them there.
const PACKAGES = fileURLToPath(new URL('../../../', import.meta.url));
const TOOLS: Record<string, string> = {
  'release-it': join(PACKAGES, 'cli/node_modules/release-it'),
  'semantic-release': join(PACKAGES, 'cli/node_modules/semantic-release'),
  '@phpublish/release-it': join(PACKAGES, 'release-it'),
  '@phpublish/semantic-release': join(PACKAGES, 'semantic-release'),
};

let temp: TempDir;
let repo: string;
/** The repository's real remote, which a rehearsal must never push to. */
let origin: string;

beforeEach(async () => {
  temp = await makeTempDir('phpublish-rehearse-hosts-');
  repo = join(temp.path, 'acme-hello');
  origin = join(temp.path, 'origin.git');
  await mkdir(join(repo, 'src'), { recursive: true });
  await writeFile(
    join(repo, 'composer.json'),
    JSON.stringify({
      name: 'acme/hello',
      type: 'library',
      license: 'MIT',
      autoload: { 'psr-4': { 'Acme\\Hello\\': 'src/' } },
    }),
  );
  await writeFile(join(repo, 'src/Hello.php'), '<?php\nnamespace Acme\\Hello;\nfinal class Hello {}\n');
  await writeFile(join(repo, '.gitignore'), '/node_modules/\n');
  await git(temp.path, ['init', '-q', '--bare', origin]);
  await git(repo, ['init', '-q', '-b', 'main']);
  await git(repo, ['remote', 'add', 'origin', origin]);
});

afterEach(async () => {
  await temp.cleanup();
});

async function linkTools(names: string[]): Promise<void> {
  for (const name of names) {
    const link = join(repo, 'node_modules', name);
    await mkdir(join(link, '..'), { recursive: true });
    await symlink(await realpath(TOOLS[name] as string), link, 'dir');
  }
}

async function commitAll(message: string): Promise<void> {
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-q', '-m', message]);
  await git(repo, ['push', '-q', 'origin', 'main']);
}

async function rehearse(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  onTestFailed(() => console.error(`stderr of the rehearsal:\n${stderr}`));
  const cli = await runCli(['rehearse', ...args], {
    cwd: repo,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
  });
  ({ stdout, stderr } = cli);
  const code = cli.code;
  return { code, stdout, stderr };
}

/** Everything about the user's repository a rehearsal could change. */
async function repositoryState(configFile: string) {
  return {
    tags: await git(repo, ['tag', '--list']),
    originRefs: await git(repo, ['ls-remote', origin]),
    head: (await git(repo, ['rev-parse', 'HEAD'])).trim(),
    status: await git(repo, ['status', '--porcelain', '--ignored=no']),
    config: await readFile(join(repo, configFile), 'utf8'),
    gitConfig: await readFile(join(repo, '.git/config'), 'utf8'),
  };
}

/** GnuPG (stock `git verify-tag`) checks the pushed tag object, recreated in a clone of the repository. */
async function verifyTagWithGnupg(result: HostRehearsalResult): Promise<string> {
  expect(result.tagObject).toMatch(/-----BEGIN PGP SIGNATURE-----/);
  const clone = join(temp.path, 'clone');
  await git(temp.path, ['clone', '-q', repo, clone]);
  const sha = await new Promise<string>((resolve, reject) => {
    const child = execFile('git', ['mktag'], { cwd: clone, env: gitEnv() }, (error, stdout) =>
      error ? reject(error) : resolve(stdout.trim()),
    );
    child.stdin?.end(result.tagObject);
  });
  const gnupg = await freshGnupgHome();
  try {
    await gnupg.importPublicKey(result.publicKey);
    return await git(clone, ['verify-tag', '--raw', sha], { env: { ...gitEnv(), ...gnupg.env } });
  } finally {
    await gnupg.cleanup();
  }
}

function expectEveryCheckPassed(result: HostRehearsalResult): void {
  const report = result.verify as { packages: { checks: { check: string; status: string }[] }[] };
  expect(report.packages[0]?.checks.map((c) => [c.check, c.status])).toEqual([
    ['packagist', 'passed'],
    ['tag', 'passed'],
    ['signature', 'passed'],
    ['attestation', 'passed'],
    ['content', 'passed'],
  ]);
}

describe('phpublish rehearse --host release-it', () => {
  describe('when a PHP-only repository has its own release-it configuration (npm: false, tags from git)', () => {
    it('releases a copy with the real release-it and the plugin against the stand-ins, and leaves the repository untouched', async () => {
      // What a user's configuration points at for real: the real Packagist, the real remote, GitHub releases.
      const config = {
        npm: false,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: release-it's own template syntax
        git: { tagName: 'v${version}', commit: false, pushRepo: `file://${origin}` },
        github: { release: true },
        hooks: { 'before:init': 'git --version' },
        plugins: { '@phpublish/release-it': { packagist: { url: 'https://packagist.invalid' } } },
      };
      await writeFile(join(repo, '.release-it.json'), `${JSON.stringify(config, null, 2)}\n`);
      await commitAll('feat: first release');
      await linkTools(['release-it', '@phpublish/release-it']);
      const before = await repositoryState('.release-it.json');

      const { code, stdout, stderr } = await rehearse(['--host', 'release-it', '--json']);
      expect(stderr).not.toContain('internal error');
      expect(code).toBe(EXIT.ok);
      const result = JSON.parse(stdout) as HostRehearsalResult;
      expect(result).toMatchObject({ host: 'release-it', package: 'acme/hello', version: 'v1.0.0' });
      expect(result.commit).toBe(before.head);
      expectEveryCheckPassed(result);
      expect(result.installedFiles).toContain('src/Hello.php');
      expect(result.summary).toMatch(/✅ \| Signed tag/);
      expect(result.overridden.join('\n')).toMatch(
        /plugins\["@phpublish\/release-it"\]: packagist\.mode, packagist\.url/,
      );
      expect(result.overridden.join('\n')).toContain(
        "git.pushRepo → the rehearsal's bare remote (instead of the one your configuration names)",
      );
      expect(result.overridden.join('\n')).toContain('github.release: false');
      expect(stderr).toContain('Releasing with release-it 21.');
      // What the rehearsal cannot redirect is said, not hidden.
      expect(stderr).toContain(
        'Run as configured, not redirected (they are your own code and commands): hook before:init.',
      );
      await verifyTagWithGnupg(result);

      // Nothing reached the user's repository or its remote, and the configuration is as it was.
      expect(await repositoryState('.release-it.json')).toEqual(before);
      expect(before.tags).toBe('');
      expect(before.originRefs).not.toContain('refs/tags/');
    }, 180_000);
  });

  describe('when the configuration notifies Packagist with a token and the rehearsal is --oidc', () => {
    it('releases through the OIDC exchange only, checking the configured trusted publisher, with no Packagist token', async () => {
      const config = {
        npm: false,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: release-it's own template syntax
        git: { tagName: 'v${version}', commit: false },
        plugins: {
          '@phpublish/release-it': {
            packagist: {
              url: 'https://packagist.invalid',
              mode: 'token',
              oidc: 'off',
              oidcPublisher: { repository: 'acme/hello', workflow: 'release.yml' },
            },
          },
        },
      };
      await writeFile(join(repo, '.release-it.json'), `${JSON.stringify(config, null, 2)}\n`);
      await commitAll('feat: first release');
      await linkTools(['release-it', '@phpublish/release-it']);

      const { code, stdout, stderr } = await rehearse(['--host', 'release-it', '--oidc', '--json']);
      expect(code).toBe(EXIT.ok);
      const result = JSON.parse(stdout) as HostRehearsalResult;
      expect(result.summary).toMatch(
        /update-package with a short-lived OIDC credential \(trusted publishing: no stored secret\)/,
      );
      expect(result.overridden.join('\n')).toMatch(/packagist\.mode, packagist\.oidc, .*OIDC token exchange only/);
      expect(stderr).not.toContain('deprecated');
      expect(`${stdout}${stderr}`).not.toMatch(/pkgtp_|eyJ[\w-]+\.[\w-]+\.[\w-]+/);
      expectEveryCheckPassed(result);
    }, 180_000);
  });

  describe('when the configuration loads phpublish by a path the rehearsal cannot redirect', () => {
    it('refuses with REHEARSE_HOST_CONFIG_UNSUPPORTED and releases nothing', async () => {
      const plugin = './node_modules/@phpublish/release-it/dist/index.js';
      await writeFile(join(repo, '.release-it.json'), JSON.stringify({ npm: false, plugins: { [plugin]: {} } }));
      await commitAll('feat: first release');
      await linkTools(['release-it', '@phpublish/release-it']);

      const { code, stderr } = await rehearse(['--host', 'release-it']);
      expect(code).toBe(EXIT.failed);
      expect(stderr).toContain('REHEARSE_HOST_CONFIG_UNSUPPORTED');
      expect(stderr).toContain(plugin);
      expect(stderr).not.toContain('internal error');
      expect(await git(repo, ['ls-remote', origin])).not.toContain('refs/tags/');
    }, 120_000);
  });

  describe('when release-it or the plugin is not installed in the repository', () => {
    it('says what to install with REHEARSE_HOST_MISSING', async () => {
      await writeFile(join(repo, '.release-it.json'), JSON.stringify({ npm: false }));
      await commitAll('feat: first release');
      await linkTools(['release-it']); // the plugin is missing

      const { code, stderr } = await rehearse(['--host', 'release-it']);
      expect(code).toBe(EXIT.failed);
      expect(stderr).toContain('REHEARSE_HOST_MISSING');
      expect(stderr).toContain('npm install --save-dev release-it @phpublish/release-it');
      expect(stderr).not.toContain('internal error');
    });
  });
});

describe('phpublish rehearse --host semantic-release', () => {
  describe('when a PHP-only repository has its own semantic-release configuration', () => {
    it('releases a copy with the real semantic-release and the plugin against the stand-ins, and leaves the repository untouched', async () => {
      // YAML, to go through the same loader as semantic-release; the real remote and the GitHub plugin.
      const config = [
        'branches: [main]',
        `repositoryUrl: file://${origin}`,
        'plugins:',
        '  - "@semantic-release/commit-analyzer"',
        '  - "@semantic-release/release-notes-generator"',
        '  - "@semantic-release/github"',
        '  - - "@phpublish/semantic-release"',
        '    - packagist: { url: "https://packagist.invalid" }',
        '',
      ].join('\n');
      await writeFile(join(repo, '.releaserc.yml'), config);
      await commitAll('feat: first release');
      await linkTools(['semantic-release', '@phpublish/semantic-release']);
      const before = await repositoryState('.releaserc.yml');

      const { code, stdout, stderr } = await rehearse(['--host', 'semantic-release', '--json']);
      expect(stderr).not.toContain('internal error');
      expect(code).toBe(EXIT.ok);
      const result = JSON.parse(stdout) as HostRehearsalResult;
      expect(result).toMatchObject({ host: 'semantic-release', package: 'acme/hello', version: 'v1.0.0' });
      expect(result.commit).toBe(before.head);
      expectEveryCheckPassed(result);
      expect(result.installedFiles).toContain('src/Hello.php');
      expect(result.overridden).toContain(
        '@semantic-release/github left out (the rehearsal creates the release in the local GitHub when the tag is pushed)',
      );
      expect(result.overridden.join('\n')).toContain(
        "repositoryUrl → the rehearsal's bare remote (instead of the one your configuration names)",
      );
      expect(stderr).toContain('Published release 1.0.0');
      await verifyTagWithGnupg(result);

      expect(await repositoryState('.releaserc.yml')).toEqual(before);
      expect(before.tags).toBe('');
      expect(before.originRefs).not.toContain('refs/tags/');
    }, 180_000);
  });

  describe('when no commit since the last tag calls for a release', () => {
    it('fails, saying semantic-release released nothing', async () => {
      const plugins = ['@semantic-release/commit-analyzer', '@phpublish/semantic-release'];
      await writeFile(join(repo, '.releaserc.json'), JSON.stringify({ branches: ['main'], plugins }));
      await commitAll('chore: tidy up');
      await linkTools(['semantic-release', '@phpublish/semantic-release']);

      const { code, stderr } = await rehearse(['--host', 'semantic-release']);
      expect(code).toBe(EXIT.failed);
      expect(stderr).toContain('semantic-release finished without pushing a new tag: it released nothing');
      expect(stderr).not.toContain('internal error');
    }, 120_000);
  });

  describe('when --version is given', () => {
    it('is a usage error: semantic-release computes the version', async () => {
      const { code, stderr } = await rehearse(['--host', 'semantic-release', '--version', 'v2.0.0']);
      expect(code).toBe(EXIT.usage);
      expect(stderr).toContain('--version cannot be used with --host semantic-release');
    });
  });
});

describe('phpublish rehearse --host <unknown>', () => {
  it('is a usage error that names the hosts it knows', async () => {
    const { code, stderr } = await rehearse(['--host', 'changesetz']);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(
      'unknown --host "changesetz": choose one of none, release-it, semantic-release, changesets.',
    );
  });
});
