import { execFileSync } from 'node:child_process';
import { lstat, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutputTarget } from './output-file.js';

/** The output path is checked before the zip is built and again before the rename onto it. */

let temp: TempDir;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-output-file-');
});
afterAll(async () => {
  await temp.cleanup();
});

/** The code and message checkOutputTarget refuses `path` with, or 'accepted'. */
async function verdictOn(path: string): Promise<{ code: string; message: string } | 'accepted'> {
  return checkOutputTarget(path).then(
    () => 'accepted' as const,
    (error: { code: string; message: string }) => ({ code: error.code, message: error.message }),
  );
}

describe('when the output path is new or a regular file', () => {
  it('accepts it, to be replaced', async () => {
    const existing = join(temp.path, 'old.zip');
    await writeFile(existing, 'old');
    expect(await verdictOn(existing)).toBe('accepted');
    expect(await verdictOn(join(temp.path, 'new.zip'))).toBe('accepted');
  });
});

describe('when the output path is a node the rename would replace rather than write into', () => {
  it('refuses a Unix socket (a running agent’s, say), and leaves it in place', async () => {
    const path = join(temp.path, 'agent.sock');
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const verdict = await verdictOn(path);
      expect(verdict).toMatchObject({ code: 'ARCHIVE_OUTPUT_FAILED' });
      expect(verdict !== 'accepted' && verdict.message).toContain('it is a socket');
      expect((await lstat(path)).isSocket()).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a block device (as root, a twin of a loop device made with mknod)', async (context) => {
    if (process.getuid?.() !== 0) context.skip();
    const path = join(temp.path, 'disk');
    try {
      execFileSync('mknod', [path, 'b', '7', '200']);
    } catch {
      context.skip(); // a container without the capability to make device nodes
    }
    const verdict = await verdictOn(path);
    expect(verdict).toMatchObject({ code: 'ARCHIVE_OUTPUT_FAILED' });
    expect(verdict !== 'accepted' && verdict.message).toContain('it is a block device');
  });

  it('refuses /dev/null, which the rename would replace for the whole machine', async () => {
    const verdict = await verdictOn('/dev/null');
    expect(verdict).toMatchObject({ code: 'ARCHIVE_OUTPUT_FAILED' });
    expect(verdict !== 'accepted' && verdict.message).toContain('it is a character device');
  });
});

describe('when the output path cannot even be looked at', () => {
  it('refuses a path under a regular file with ARCHIVE_OUTPUT_FAILED and the system’s reason', async () => {
    const file = join(temp.path, 'a-file');
    await writeFile(file, 'x');
    const verdict = await verdictOn(join(file, 'out.zip'));
    expect(verdict).toMatchObject({ code: 'ARCHIVE_OUTPUT_FAILED' });
    expect(verdict !== 'accepted' && verdict.message).toContain('ENOTDIR');
  });

  it('refuses a name longer than the file system allows', async () => {
    const dir = join(temp.path, 'long');
    await mkdir(dir);
    const verdict = await verdictOn(join(dir, `${'x'.repeat(300)}.zip`));
    expect(verdict).toMatchObject({ code: 'ARCHIVE_OUTPUT_FAILED' });
    expect(verdict !== 'accepted' && verdict.message).toContain('ENAMETOOLONG');
  });
});
