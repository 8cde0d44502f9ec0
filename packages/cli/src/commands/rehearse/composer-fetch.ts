import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PhpublishError } from '@phpublish/core';

export interface ComposerFetchInput {
  /** Base URL of the Composer repository to fetch from (the local Packagist). */
  repositoryUrl: string;
  packageName: string;
  /** The tag as written (`v1.2.3`); Composer is asked for exactly that version. */
  version: string;
  /** An empty folder for the package and Composer's home; the caller removes it. */
  workDir: string;
  /** PATH to find `composer` and `php` (nothing else of the caller's environment is passed on). */
  path: string | undefined;
}

export interface ComposerFetchResult {
  /** Where Composer put the package's files. */
  dir: string;
  /** The files of the dist Composer downloaded and extracted, relative to `dir`, sorted. */
  files: string[];
}

/** The last lines of Composer's output: enough to say why, never a wall of text. */
const OUTPUT_LINES = 20;

/**
 * What a consumer's Composer does with the released version, and nothing else: it reads the version from
 * the (local) Packagist's metadata, downloads its dist, checks the dist's checksum against the metadata,
 * and extracts it. `composer create-project --no-install` does exactly that for one package: the
 * package's own dependencies are not resolved (the rehearsal is not about them, and the stand-ins serve
 * only the rehearsed package), its scripts and plugins do not run, and platform requirements (the PHP
 * version of this machine) do not matter for fetching. Composer gets its own home and cache, sees only
 * the given repository, and may use plain http for it (127.0.0.1).
 */
export async function fetchWithComposer(input: ComposerFetchInput): Promise<ComposerFetchResult> {
  const home = join(input.workDir, 'composer-home');
  const dir = join(input.workDir, 'package');
  await mkdir(home, { recursive: true });
  await writeFile(join(home, 'config.json'), JSON.stringify({ config: { 'secure-http': false } }));
  const repository = JSON.stringify({ type: 'composer', url: input.repositoryUrl });
  const args = [
    'create-project',
    input.packageName,
    dir,
    input.version,
    `--repository=${repository}`,
    '--no-install',
    '--no-scripts',
    '--no-plugins',
    '--prefer-dist',
    '--ignore-platform-reqs',
    '--no-interaction',
    '--no-progress',
  ];
  const env = {
    PATH: input.path,
    HOME: home,
    COMPOSER_HOME: home,
    COMPOSER_CACHE_DIR: join(home, 'cache'),
    COMPOSER_ALLOW_SUPERUSER: '1',
    COMPOSER_NO_INTERACTION: '1',
    COMPOSER_DISABLE_XDEBUG_WARN: '1',
    // The version of the (absent) root project: without it Composer asks git, hg, fossil and svn.
    COMPOSER_ROOT_VERSION: '1.0.0',
    // When the dist fails, Composer falls back to cloning the source from its real host (github.com):
    // git may use local paths only, so the rehearsal never reaches the network.
    GIT_ALLOW_PROTOCOL: 'file',
  };
  await new Promise<void>((resolve, reject) => {
    execFile('composer', args, { cwd: input.workDir, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve();
      const output = `${stdout}${stderr}`
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.startsWith(`${args[0]} [`)) // not the usage line
        .slice(-OUTPUT_LINES)
        .join('\n');
      const notFound = (error as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        notFound
          ? new PhpublishError('REHEARSE_COMPOSER_MISSING', undefined, { cause: error })
          : new PhpublishError(
              'REHEARSE_COMPOSER_FAILED',
              { packageName: input.packageName, version: input.version, output },
              { cause: error },
            ),
      );
    });
  });
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
  return { dir, files };
}
