/**
 * Write errors while building the zip and writing reports: a coded error (or, once the release is
 * complete, a coded warning), never a crash, and no partial file left behind. The failures are
 * real: a temp folder that is a file, /dev/full (ENOSPC on every write), a directory where a file
 * must be, and, where this process may mount file systems (root), a 64 KiB tmpfs that fills up
 * mid-write and a read-only one.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { memoryLogger } from '../log/index.js';
import { buildAndAttest } from './build-and-attest.js';
import { createReleaseContext } from './context.js';
import { ReleaseSession } from './session.js';

let fixture: PackagistFixture;
let scratch: TempDir;
const originalTmpdir = process.env['TMPDIR'];

beforeAll(async () => {
  fixture = await startPackagistFixture({ tags: ['v1.0.0'] });
  // An incompressible file, so that the zip cannot fit in 64 KiB.
  await fixture.repo.commit({ 'data/blob.txt': randomBytes(96 * 1024).toString('base64') }, 'large file');
  await fixture.repo.tag('v1.1.0');
  scratch = await makeTempDir('phpublish-write-errors-');
});
afterAll(async () => {
  await fixture?.cleanup();
  await scratch?.cleanup();
});
afterEach(() => {
  if (originalTmpdir === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = originalTmpdir;
});

function options() {
  return {
    attest: { enabled: false },
    packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, repositoryUrl: REPOSITORY_URL },
  };
}

function env(extra: Record<string, string> = {}) {
  return gitEnv({ PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: fixture.alice.safeToken, ...extra });
}

async function buildZip(): Promise<unknown> {
  const context = createReleaseContext({
    cwd: fixture.repo.dir,
    env: env(),
    options: options(),
    logger: memoryLogger(),
  });
  const commit = (await fixture.repo.git(['rev-parse', 'v1.1.0'])).trim();
  return buildAndAttest(context, { target: { packageName: 'acme/hello' } as never, tag: 'v1.1.0', commit }).catch(
    (error: unknown) => error,
  );
}

/** Whether this process may mount a tmpfs (root in a container that allows it). */
function canMount(): boolean {
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

async function withTmpfs<T>(mountOptions: string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(scratch.path, `fs-${randomBytes(4).toString('hex')}`);
  await mkdir(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', mountOptions, 'tmpfs', dir]);
  try {
    return await use(dir);
  } finally {
    execFileSync('umount', [dir]);
  }
}

describe('when the dist zip cannot be written', () => {
  it('says so with a coded error when the temp folder is a file', async () => {
    const file = join(scratch.path, 'not-a-folder');
    await writeFile(file, 'x');
    process.env['TMPDIR'] = file;
    const error = await buildZip();
    expect(isPhpublishError(error) && error.code).toBe('ARCHIVE_OUTPUT_FAILED');
    expect((error as Error).message).toContain(file);
  });

  it.runIf(canMount())('says so with a coded error and leaves nothing when the disk fills up mid-write', async () => {
    await withTmpfs('size=64k', async (dir) => {
      process.env['TMPDIR'] = dir;
      const error = await buildZip();
      expect(isPhpublishError(error) && error.code).toBe('ARCHIVE_OUTPUT_FAILED');
      expect((error as Error).message).toMatch(/ENOSPC/);
      expect(await readdir(dir)).toEqual([]);
    });
  });

  it.runIf(canMount())('says so with a coded error when the temp folder is read-only', async () => {
    await withTmpfs('ro,size=64k', async (dir) => {
      process.env['TMPDIR'] = dir;
      const error = await buildZip();
      expect(isPhpublishError(error) && error.code).toBe('ARCHIVE_OUTPUT_FAILED');
      expect((error as Error).message).toMatch(/EROFS/);
    });
  });
});

describe('when the job summary cannot be written after the release', () => {
  for (const [name, summary] of [
    ['the disk is full (/dev/full)', () => '/dev/full'],
    ['it is a directory', () => scratch.path],
    ['its folder does not exist', () => join(scratch.path, 'missing', 'summary.md')],
  ] as const) {
    it(`warns with a coded error when ${name}, and the release stays complete`, async () => {
      const logger = memoryLogger();
      const session = await ReleaseSession.start({
        cwd: fixture.repo.dir,
        env: env({ GITHUB_STEP_SUMMARY: summary() }),
        options: options(),
        logger,
      });
      const commit = (await fixture.repo.git(['rev-parse', 'v1.0.0'])).trim();
      await session.publish({ tag: 'v1.0.0', commit });
      const outcome = await session.report({ print: () => {} }).catch((error: unknown) => error);
      await session.cleanup();
      expect(outcome).toBeUndefined();
      const warning = logger.lines.find((line) => line.startsWith('warn: REPORT_SUMMARY_WRITE_FAILED'));
      expect(warning).toBeDefined();
      expect(session.done).toContain('report');
    });
  }
});
