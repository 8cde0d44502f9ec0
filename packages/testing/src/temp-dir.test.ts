import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from './temp-dir.js';

describe('when a test needs a temporary directory', () => {
  it('creates an empty directory under the OS temp dir with the prefix', async () => {
    const dir = await makeTempDir('phpublish-x-');
    try {
      expect(dir.path.startsWith(join(tmpdir(), 'phpublish-x-'))).toBe(true);
      expect(existsSync(dir.path)).toBe(true);
    } finally {
      await dir.cleanup();
    }
  });

  it('removes the directory and its contents on cleanup, twice without error', async () => {
    const dir = await makeTempDir();
    await writeFile(join(dir.path, 'file.txt'), 'x');
    await dir.cleanup();
    await dir.cleanup();
    expect(existsSync(dir.path)).toBe(false);
  });
});
