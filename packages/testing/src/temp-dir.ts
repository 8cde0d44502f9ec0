import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  /** Absolute path of the new, empty directory. */
  readonly path: string;
  /** Removes the directory and everything in it; safe to call more than once. */
  cleanup(): Promise<void>;
}

/** A fresh directory under the OS temp dir, so that tests never write into the work tree. */
export async function makeTempDir(prefix = 'phpublish-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return {
    path,
    cleanup: () => rm(path, { recursive: true, force: true, maxRetries: 3 }),
  };
}
