import { execFileSync } from 'node:child_process';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createPhpPackageRepo, defaultComposerJson, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { afterEach, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { EXIT } from '../exit-codes.js';
import type { RehearsalResult } from './rehearse.js';
import { runCli } from './testing/run-cli.js';

/** A library like the real ones: several `require` dependencies no local stand-in serves, and mixed tag prefixes. */
function composerJsonWithDependencies(name: string): string {
  const composer = JSON.parse(defaultComposerJson(name)) as Record<string, unknown>;
  composer['require'] = {
    php: '>=8.1',
    'ext-json': '*',
    'psr/http-message': '^1.1 || ^2.0',
    'guzzlehttp/promises': '^2.0.3',
    'symfony/deprecation-contracts': '^2.5 || ^3',
  };
  composer['require-dev'] = { 'phpunit/phpunit': '^10.5' };
  return `${JSON.stringify(composer, null, 4)}\n`;
}

async function rehearse(cwd: string, args: string[] = []) {
  let stdout = '';
  let stderr = '';
  onTestFailed(() => {
    console.error(`stderr of the rehearsal:\n${stderr}`);
  });
  const cli = await runCli(['rehearse', ...args], {
    cwd,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
  });
  ({ stdout, stderr } = cli);
  const code = cli.code;
  return { code, stdout, stderr };
}

let repo: PhpPackageRepo;

describe('when the repository is a real library with dependencies and mixed tag prefixes', () => {
  beforeEach(async () => {
    repo = await createPhpPackageRepo({
      name: 'acme/http-client',
      files: { 'composer.json': composerJsonWithDependencies('acme/http-client') },
      // Older releases tagged with `v`, newer ones without (guzzle/guzzle has both): git's -v:refname puts v3.8.2 first.
      tags: ['v3.8.1', 'v3.8.2', '7.8.0', '7.8.1'],
    });
    await repo.commit({ 'README.md': '# acme/http-client\n' }, 'Document the client');
  });
  afterEach(async () => {
    await repo.cleanup();
  });

  it('releases the next patch after the newest version by Composer order, and Composer fetches it without its dependencies', async () => {
    const { code, stdout, stderr } = await rehearse(repo.dir, ['--json']);
    expect(stderr).not.toContain('defect');
    expect(code).toBe(EXIT.ok);
    const result = JSON.parse(stdout) as RehearsalResult;
    expect(result.package).toBe('acme/http-client');
    expect(result.version).toBe('7.8.2');
    expect(result.commit).toBe(repo.head);
    expect(result.posture.packagist?.entry?.source?.reference).toBe(repo.head);
    expect(result.installedFiles).toEqual(['README.md', 'composer.json', 'src/Hello.php']);
    const report = result.verify as { packages: { status: string }[] };
    expect(report.packages[0]?.status).toBe('verified');
  }, 120_000);
});

describe('when a step of the rehearsal fails', () => {
  beforeEach(async () => {
    repo = await createPhpPackageRepo({ name: 'acme/http-client', tags: ['v1.0.0'] });
    await repo.commit({ 'README.md': '# acme/http-client\n' }, 'Document the client');
  });
  afterEach(async () => {
    await repo.cleanup();
  });

  /** A PATH with git and nothing else: no Composer on this machine. */
  async function pathWithoutComposer(): Promise<{ path: string; cleanup(): Promise<void> }> {
    const dir = await makeTempDir('phpublish-path-');
    const gitPath = execFileSync('sh', ['-c', 'command -v git']).toString().trim();
    await symlink(gitPath, join(dir.path, 'git'));
    return { path: dir.path, cleanup: dir.cleanup };
  }

  it('reports a missing Composer as a coded failure of its step, with the posture table, exit 1', async () => {
    const bin = await pathWithoutComposer();
    try {
      let stdout = '';
      let stderr = '';
      const cli = await runCli(['rehearse'], { cwd: repo.dir, env: { PATH: bin.path, HOME: process.env['HOME'] } });
      ({ stdout, stderr } = cli);
      const code = cli.code;
      expect(stderr).not.toContain('defect');
      expect(code).toBe(EXIT.failed);
      expect(stderr).toContain('REHEARSE_COMPOSER_MISSING');
      // The release itself went through: its posture is printed, and the table says which step failed.
      expect(stdout).toMatch(/Release posture of acme\/http-client v1\.0\.1/);
      expect(stdout).toMatch(/Composer fetch +failed \(REHEARSE_COMPOSER_MISSING\)/);
      expect(stdout).toMatch(/release +passed/);
    } finally {
      await bin.cleanup();
    }
  }, 120_000);

  it('still prints the JSON report, with the failed step and its code', async () => {
    const bin = await pathWithoutComposer();
    try {
      let stdout = '';
      const cli = await runCli(['rehearse', '--json'], {
        cwd: repo.dir,
        env: { PATH: bin.path, HOME: process.env['HOME'] },
      });
      ({ stdout } = cli);
      const code = cli.code;
      expect(code).toBe(EXIT.failed);
      const result = JSON.parse(stdout) as RehearsalResult;
      expect(result.ok).toBe(false);
      expect(result.posture?.packagist).toMatchObject({ confirmation: 'served' });
      expect(result.steps.map((s) => [s.step, s.status, s.code])).toEqual([
        ['copy', 'passed', undefined],
        ['release', 'passed', undefined],
        ['Composer fetch', 'failed', 'REHEARSE_COMPOSER_MISSING'],
        ['phpublish verify', 'passed', undefined],
      ]);
    } finally {
      await bin.cleanup();
    }
  }, 120_000);

  it('reports a release that fails as a coded failure of the release step, in JSON too', async () => {
    // v1.0.0 exists at the first commit; the rehearsal is asked to release it again at HEAD.
    const { code, stdout, stderr } = await rehearse(repo.dir, ['--version', 'v1.0.0', '--json']);
    expect(stderr).not.toContain('defect');
    expect(code).toBe(EXIT.failed);
    const result = JSON.parse(stdout) as RehearsalResult;
    expect(result.ok).toBe(false);
    expect(result.posture).toBeUndefined();
    expect(result.steps).toHaveLength(2);
    expect(result.steps[1]).toMatchObject({
      step: 'release',
      status: 'failed',
      code: expect.stringMatching(/^[A-Z_]+/),
    });
    expect(stderr).toContain(result.steps[1]?.code?.split(', ')[0]);
  }, 120_000);
});

describe('when the folder is not a repository the rehearsal can copy', () => {
  it.each([
    ['is not a git repository', async (dir: string) => dir],
    [
      'is a repository without a commit',
      async (dir: string) => {
        execFileSync('git', ['init', '-q'], { cwd: dir });
        return dir;
      },
    ],
  ])('when it %s: REHEARSE_COPY_FAILED, and the JSON report still comes out', async (_, prepare) => {
    const folder = await makeTempDir('phpublish-not-a-repo-');
    try {
      const { code, stdout, stderr } = await rehearse(await prepare(folder.path), ['--json']);
      expect(stderr).not.toContain('defect');
      expect(code).toBe(EXIT.failed);
      expect(stderr).toContain('REHEARSE_COPY_FAILED');
      expect(JSON.parse(stdout)).toMatchObject({
        ok: false,
        steps: [{ step: 'copy', status: 'failed', code: 'REHEARSE_COPY_FAILED' }],
      });
    } finally {
      await folder.cleanup();
    }
  });
});
