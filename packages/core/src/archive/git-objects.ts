import { PhpublishError } from '../errors/index.js';
import type { CatFileBatch } from '../git/batch.js';
import { PACK_MEMORY_LIMITS } from '../git/batch.js';
import type { GitContext } from '../git/context.js';
import { gitComplaint, runGit } from '../git/run.js';

export type TreeEntryType = 'blob' | 'tree' | 'commit';

/** One entry of `git ls-tree -r -t -l`. */
export interface TreeEntry {
  mode: number;
  type: TreeEntryType;
  oid: string;
  /** Blob size in bytes; 0 for trees and submodules; MISSING when git cannot read the object. */
  size: number;
  /** The path's raw bytes as git stores them, as a Latin-1 string (one character per byte). */
  path: string;
}

export interface CommitInfo {
  commit: string;
  tree: string;
  /** Committer time, seconds since the epoch: the one clock a commit carries. */
  committerTime: number;
}

/** The size of an entry whose object git cannot read (ls-tree says BAD: a damaged repository). */
export const MISSING = -1;

/**
 * The commit a ref names, with its tree and time, read with `reader` (the ref is asked for as
 * `<ref>^{commit}`, the way `git rev-parse` resolves it); undefined when there is no such commit.
 */
export async function readCommit(ref: string, reader: CatFileBatch): Promise<CommitInfo | undefined> {
  // A ref starting with '-' would be an option elsewhere; a line break would be a second request.
  if (ref.startsWith('-') || /[\0\n\r]/.test(ref)) return undefined;
  reader.request([`${ref}^{commit}`]);
  // git stops at once outside a repository: no commit by that name here either (as rev-parse says).
  const object = await reader.next().catch((error: unknown) => {
    if (error instanceof PhpublishError && error.code === 'ARCHIVE_GIT_FAILED') return undefined;
    throw error;
  });
  if (!object) return undefined;
  const raw = (await reader.content(object.size)).toString('latin1');
  const header = raw.slice(0, raw.indexOf('\n\n') === -1 ? raw.length : raw.indexOf('\n\n'));
  const tree = /^tree ([0-9a-f]{40,64})$/m.exec(header)?.[1];
  const time = /^committer .* (-?\d+) [+-]\d{4}$/m.exec(header)?.[1];
  if (object.type !== 'commit' || !tree || time === undefined) {
    throw new PhpublishError('ARCHIVE_GIT_FAILED', {
      command: 'cat-file --batch',
      problem: 'unreadable commit object',
    });
  }
  return { commit: object.oid, tree, committerTime: Number(time) };
}

/** One line of ls-tree -l: "<mode> <type> <oid> <padded size>\t<path>". */
const LINE = /^([0-7]{6}) (blob|tree|commit) ([0-9a-f]{40,64}) +(\d+|-|BAD)\t/;

/**
 * Every entry of a commit's tree, directories included, in git's order (the byte order of the
 * paths, parents before children).
 */
export async function listTree(commit: string, git: GitContext): Promise<TreeEntry[]> {
  // -l reads every blob's header: the pack is mapped as cat-file maps it.
  const args = [...PACK_MEMORY_LIMITS, 'ls-tree', '-r', '-t', '-z', '-l', '--full-tree', commit];
  const result = await runGit(args, git).catch((error: unknown) => {
    throw new PhpublishError('ARCHIVE_GIT_FAILED', { command: 'ls-tree', problem: String(error) }, { cause: error });
  });
  if (result.exitCode !== 0) {
    throw new PhpublishError('ARCHIVE_GIT_FAILED', {
      command: `ls-tree -r -t -z -l --full-tree ${commit}`,
      problem: gitComplaint(result),
    });
  }
  const lines = result.stdout.toString('latin1').split('\0');
  lines.pop(); // after the last NUL
  return lines.map((line) => {
    const fields = LINE.exec(line);
    if (!fields) throw new PhpublishError('ARCHIVE_GIT_FAILED', { command: 'ls-tree', problem: 'unexpected output' });
    const [whole, mode, type, oid, size] = fields;
    return {
      mode: Number.parseInt(mode!, 8),
      type: type as TreeEntryType,
      oid: oid!,
      size: size === 'BAD' ? MISSING : size === '-' ? 0 : Number(size),
      path: line.slice(whole.length),
    };
  });
}
