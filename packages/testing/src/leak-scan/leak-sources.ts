import { execFile } from 'node:child_process';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gitEnv } from '../git.js';
import { recordForLeakScan } from './leak-scan.js';

/** Files larger than this are not read (release zips are compressed: a secret in them is not visible as text anyway). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Whether `dir` is a git repository's object store holder: a bare repository or a `.git` folder. */
async function isGitDir(dir: string): Promise<boolean> {
  const [head, objects] = await Promise.all([
    lstat(join(dir, 'HEAD')).catch(() => undefined),
    lstat(join(dir, 'objects')).catch(() => undefined),
  ]);
  return Boolean(head?.isFile() && objects?.isDirectory());
}

/** Every object of a repository, uncompressed (`git cat-file --batch-all-objects --batch`). */
function allGitObjects(gitDir: string): Promise<Buffer> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['--git-dir', gitDir, 'cat-file', '--batch-all-objects', '--batch'],
      { env: gitEnv(), encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
      // A repository git cannot read holds nothing the scan could read either.
      (error, stdout) => resolve(error ? Buffer.alloc(0) : stdout),
    );
  });
}

/** Hands the git objects of a repository (bare, or a work tree's `.git`) to the leak scan. */
export async function recordGitObjectsForLeakScan(gitDir: string, where: string): Promise<void> {
  if (await isGitDir(gitDir)) recordForLeakScan(`git objects of ${where}`, await allGitObjects(gitDir));
}

/**
 * Hands every file under `root` to the leak scan, and the objects of every git repository in it
 * (their compressed object files themselves are skipped: only git can read them).
 */
export async function recordFilesForLeakScan(root: string): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    if (await isGitDir(dir)) {
      await recordGitObjectsForLeakScan(dir, relative(root, dir) || '.');
      return;
    }
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const stat = await lstat(path).catch(() => undefined);
      if (!stat) continue;
      if (stat.isDirectory()) await walk(path);
      else if (stat.isFile() && stat.size <= MAX_FILE_BYTES) {
        const content = await readFile(path).catch(() => undefined);
        if (content) recordForLeakScan(`file ${relative(root, path)} left in a temp folder`, content);
      }
    }
  };
  await walk(root);
}
