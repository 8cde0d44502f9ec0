import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputFileProblem, readInputFile, readInputJson, readInputText } from './read-input-file.js';

let dir: TempDir;
let socketServer: Server;
const MiB = 1024 * 1024;

beforeAll(async () => {
  dir = await makeTempDir('phpublish-input-');
  execFileSync('mkfifo', [join(dir.path, 'pipe')]);
  await mkdir(join(dir.path, 'folder'));
  await writeFile(join(dir.path, 'plain.json'), '{"a":1}');
  await symlink(join(dir.path, 'plain.json'), join(dir.path, 'link.json'));
  await symlink('/dev/zero', join(dir.path, 'zero-link'));
  socketServer = createServer();
  await new Promise<void>((resolve) => socketServer.listen(join(dir.path, 'socket'), resolve));
});

afterAll(async () => {
  await new Promise((resolve) => socketServer.close(resolve));
  await dir.cleanup();
});

async function problemOf(read: Promise<unknown>): Promise<InputFileProblem> {
  const error = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof InputFileProblem)) throw new Error(`expected an InputFileProblem, got ${error}`);
  return error;
}

const small = { maxBytes: MiB };

describe('readInputFile', () => {
  describe('when the path names a regular file', () => {
    it('reads it whole, also through a symbolic link', async () => {
      expect((await readInputFile(join(dir.path, 'plain.json'), small)).toString()).toBe('{"a":1}');
      expect((await readInputFile(join(dir.path, 'link.json'), small)).toString()).toBe('{"a":1}');
    });

    it('reads a file the size of the limit, and refuses one byte more', async () => {
      await writeFile(join(dir.path, 'exact'), Buffer.alloc(1000, 'x'));
      expect(await readInputFile(join(dir.path, 'exact'), { maxBytes: 1000 })).toHaveLength(1000);
      const problem = await problemOf(readInputFile(join(dir.path, 'exact'), { maxBytes: 999 }));
      expect(problem.message).toBe('is larger than 999 bytes, the most phpublish reads for this kind of file');
      expect((await problemOf(readInputFile(join(dir.path, 'exact'), { maxBytes: 0 }))).message).toContain('larger');
    });

    it('caps what it reads of a file that reports no size (as /proc files do)', async () => {
      const problem = await problemOf(readInputFile('/proc/self/maps', { maxBytes: 10 }));
      expect(problem.message).toContain('is larger than 10 bytes');
    });
  });

  describe('when the path names something that is not a regular file', () => {
    it.each([
      ['/dev/zero', 'is a character device (like /dev/zero or a terminal), not a regular file'],
      ['zero-link', 'is a character device (like /dev/zero or a terminal), not a regular file'],
      ['pipe', 'is a named pipe (FIFO), not a regular file'],
      ['folder', 'is a directory, not a regular file'],
      ['missing.json', 'does not exist (ENOENT)'],
      ['plain.json/below', 'cannot be reached: a part of its path is not a directory (ENOTDIR)'],
      ['socket', 'is a socket or a device without a reader, not a regular file (ENXIO)'],
    ])('refuses %s at once, saying what it is', async (name, problem) => {
      const started = Date.now();
      const path = name.startsWith('/') ? name : join(dir.path, name);
      expect((await problemOf(readInputFile(path, small))).message).toBe(problem);
      // A named pipe without a writer must not block.
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('keeps the system’s error code for callers that treat a missing file specially', async () => {
      expect((await problemOf(readInputFile(join(dir.path, 'missing.json'), small))).errno).toBe('ENOENT');
    });
  });
});

describe('readInputText', () => {
  it('drops a UTF-8 byte order mark and keeps everything else', async () => {
    await writeFile(join(dir.path, 'bom.txt'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('é\n')]));
    expect(await readInputText(join(dir.path, 'bom.txt'), small)).toBe('é\n');
  });

  it('refuses bytes that are not UTF-8', async () => {
    await writeFile(join(dir.path, 'latin1.txt'), Buffer.from([0x7b, 0xe9, 0x7d]));
    expect((await problemOf(readInputText(join(dir.path, 'latin1.txt'), small))).message).toBe('is not UTF-8 text');
  });
});

describe('readInputJson', () => {
  it('reads JSON with a byte order mark', async () => {
    await writeFile(join(dir.path, 'bom.json'), `\ufeff{"packages":{}}`);
    expect(await readInputJson(join(dir.path, 'bom.json'), small)).toEqual({ packages: {} });
  });

  it('says where the JSON goes wrong, and refuses duplicate keys', async () => {
    await writeFile(join(dir.path, 'twice.json'), '{"a":1,\n"a":2}');
    expect((await problemOf(readInputJson(join(dir.path, 'twice.json'), small))).message).toBe(
      'is not valid JSON: a is given twice in the same object (line 2, column 1)',
    );
  });
});
