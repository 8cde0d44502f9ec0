import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git, gitEnv } from '@phpublish/testing/git';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatFileBatch } from './batch.js';

let temp: TempDir;
/** A blob whose bytes hold a line break and a NUL, as git's answer separators could be mistaken for. */
const content = Buffer.concat([Buffer.from('a\nb\0c'), Buffer.alloc(300_000, 0x0a)]);
let oid: string;

beforeAll(async () => {
  temp = await makeTempDir('phpublish-batch-');
  await git(temp.path, ['init', '--quiet'], { env: gitEnv() });
  await writeFile(join(temp.path, 'blob.bin'), content);
  oid = (await git(temp.path, ['hash-object', '-w', 'blob.bin'], { env: gitEnv() })).trim();
});
afterAll(async () => {
  await temp.cleanup();
});

describe('when objects are read through one git cat-file --batch', () => {
  it('reads them in order, binary-safe, whole or in pieces, and says which are missing', async () => {
    const reader = new CatFileBatch({ cwd: temp.path, env: gitEnv() }, { packLimits: true });
    try {
      reader.request([oid, 'refs/tags/nope', oid]);
      const header = await reader.nextOf(oid);
      expect(header).toEqual({ oid, type: 'blob', size: content.length });
      expect((await reader.content(header.size)).equals(content)).toBe(true);
      expect(await reader.next()).toBeUndefined();
      const pieces: Buffer[] = [];
      for await (const piece of reader.pieces((await reader.nextOf(oid)).size, 65_536)) pieces.push(Buffer.from(piece));
      expect(pieces.map((piece) => piece.length)).toEqual([
        65_536,
        65_536,
        65_536,
        65_536,
        content.length - 4 * 65_536,
      ]);
      expect(Buffer.concat(pieces).equals(content)).toBe(true);
      expect(await reader.readAll(['refs/tags/nope', oid])).toEqual([
        undefined,
        { oid, type: 'blob', size: content.length, content },
      ]);
    } finally {
      await reader.close();
    }
  });

  it('closes early with megabytes of answers not read, and git finishes instead of being left paused', async () => {
    const reader = new CatFileBatch({ cwd: temp.path, env: gitEnv() }, { packLimits: true });
    // 60 answers of 300 KB: far more than the reader buffers before it pauses git.
    reader.request(Array.from({ length: 60 }, () => oid));
    const header = await reader.nextOf(oid);
    expect((await reader.content(header.size)).equals(content)).toBe(true);
    // Before the fix, the reader paused git again as it drained it, and close() never settled.
    const closed = await Promise.race([
      reader.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still open'), 10_000)),
    ]);
    expect(closed).toBe('closed');
  });

  it('refuses a missing object it was told to expect, and an answer for another, with a code', async () => {
    const reader = new CatFileBatch({ cwd: temp.path, env: gitEnv() });
    try {
      const missing = '0'.repeat(40);
      reader.request([missing]);
      await expect(reader.nextOf(missing)).rejects.toMatchObject({
        code: 'ARCHIVE_GIT_FAILED',
        message: expect.stringContaining(missing),
      });
      reader.request([oid]);
      await expect(reader.nextOf('1'.repeat(40))).rejects.toMatchObject({ code: 'ARCHIVE_GIT_FAILED' });
    } finally {
      await reader.close();
    }
  });

  it('names the object it was reading when git stops, in the error the caller chose', async () => {
    // Not a repository: git stops at once.
    const outside = await makeTempDir('phpublish-batch-outside-');
    const reader = new CatFileBatch(
      { cwd: outside.path, env: { ...gitEnv(), GIT_CEILING_DIRECTORIES: outside.path } },
      { failure: (problem) => new Error(`custom: ${problem}`) },
    );
    try {
      reader.request([oid]);
      await expect(reader.next()).rejects.toThrow(`custom: object ${oid} could not be read`);
    } finally {
      await reader.close();
      await outside.cleanup();
    }
  });
});
