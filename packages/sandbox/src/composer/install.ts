import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ComposerInstallInput {
  /** Base URL of a Composer repository (the sandbox Packagist). */
  repositoryUrl: string;
  packageName: string;
  /** The tag as written (`v1.2.3`); Composer is asked for exactly that version. */
  version: string;
  /** An empty folder for the consumer project and Composer's home; the caller removes it. */
  workDir: string;
  /** PATH to find `composer` and `php` (nothing else of the caller's environment is passed on). */
  path: string | undefined;
}

export interface ComposerInstallResult {
  /** Where Composer put the package. */
  installDir: string;
  /** Files Composer installed, relative to installDir, sorted. */
  files: string[];
}

/**
 * Installs a package with Debian's real Composer into a fresh consumer project that knows only
 * the given repository (packagist.org disabled, plain http allowed for 127.0.0.1), with its own
 * COMPOSER_HOME and cache, so nothing of the machine's Composer setup leaks in or is changed.
 */
export async function installWithComposer(input: ComposerInstallInput): Promise<ComposerInstallResult> {
  const project = join(input.workDir, 'consumer');
  const home = join(input.workDir, 'composer-home');
  await mkdir(project, { recursive: true });
  await mkdir(home, { recursive: true });
  const composerJson = {
    name: 'sandbox/consumer',
    repositories: [{ type: 'composer', url: input.repositoryUrl }, { 'packagist.org': false }],
    config: { 'secure-http': false },
    'minimum-stability': 'dev',
    'prefer-stable': true,
  };
  await writeFile(join(project, 'composer.json'), JSON.stringify(composerJson, null, 2));
  await run(
    'composer',
    [
      'require',
      `${input.packageName}:${input.version.replace(/^v/, '')}`,
      '--no-interaction',
      '--no-progress',
      '--prefer-dist',
      '--no-audit',
    ],
    {
      cwd: project,
      env: {
        PATH: input.path,
        HOME: home,
        COMPOSER_HOME: home,
        COMPOSER_CACHE_DIR: join(home, 'cache'),
        COMPOSER_ALLOW_SUPERUSER: '1',
        COMPOSER_NO_INTERACTION: '1',
        COMPOSER_DISABLE_XDEBUG_WARN: '1',
      },
    },
  );
  const installDir = join(project, 'vendor', ...input.packageName.split('/'));
  const files = (await readdir(installDir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => relative(installDir, join(entry.parentPath, entry.name)))
    .sort();
  return { installDir, files };
}
