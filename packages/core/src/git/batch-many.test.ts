import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git, gitEnv } from '@phpublish/testing/git';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatFileBatch } from './batch.js';

// A package with thousands of files (vendor-like trees, generated code) and empty files (.gitkeep):
// the archive reads every blob through one cat-file process, request batch after request batch.

const FILES = 4_500;
let temp: TempDir;
let oids: string[];
const contentOf = (i: number) => (i % 1000 === 0 ? '' : `<?php // file ${i}\n`);

beforeAll(async () => {
  temp = await makeTempDir('phpublish-batch-many-');
  await git(temp.path, ['init', '--quiet'], { env: gitEnv() });
  const dir = join(temp.path, 'files');
  await mkdir(dir);
  const paths = Array.from({ length: FILES }, (_, i) => join(dir, `f${i}.php`));
  await Promise.all(paths.map((path, i) => writeFile(path, contentOf(i))));
  const out = await git(temp.path, ['hash-object', '-w', '--stdin-paths'], {
    env: gitEnv(),
    input: `${paths.join('\n')}\n`,
  });
  oids = out.trim().split('\n');
}, 60_000);
afterAll(async () => {
  await temp.cleanup();
});

describe('when one reader serves thousands of objects, some of them empty', () => {
  it('gives every object its own bytes, in order, across request batches', async () => {
    const reader = new CatFileBatch({ cwd: temp.path, env: gitEnv() });
    try {
      // Two batches: the second comes after the reader has answered everything it was asked for.
      for (const [from, to] of [
        [0, 4_200],
        [4_200, FILES],
      ] as const) {
        const wanted = oids.slice(from, to);
        const objects = await reader.readAll(wanted);
        expect(objects).toHaveLength(wanted.length);
        objects.forEach((object, k) => {
          expect(object?.oid).toBe(wanted[k]);
          expect(object?.content.toString('utf8')).toBe(contentOf(from + k));
        });
      }
    } finally {
      await reader.close();
    }
  });
});
