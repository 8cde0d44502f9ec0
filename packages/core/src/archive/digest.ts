import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { PhpublishError } from '../errors/index.js';
import { ContentDigestBuilder } from './content-digest.js';
import { exportContents } from './export-contents.js';
import { type ExportOptions, planExport } from './export-plan.js';
import { checkedPath, checkSymlinks, PathCollisions } from './paths.js';
import { type ZipEntry, type ZipInput, ZipReader, zipInMemory } from './zip-reader.js';

export interface RefDigest {
  commit: string;
  contentDigest: string;
  files: number;
  symlinks: number;
}

export interface ZipDigest {
  contentDigest: string;
  files: number;
  symlinks: number;
  /** The single top-level folder the digest looked inside (e.g. GitHub's `owner-repo-sha/`), if any. */
  folder: string | undefined;
}

/** Files up to this size are hashed from one reused buffer, larger ones chunk by chunk. */
const STREAM_FROM = 1024 * 1024;

/** The content-tree digest of what `git archive` of `ref` contains, without building a zip. */
export async function contentDigestOfRef(input: ExportOptions): Promise<RefDigest> {
  const git = { cwd: input.cwd, ...(input.env ? { env: input.env } : {}) };
  const plan = await planExport(input);
  const digest = new ContentDigestBuilder();
  let symlinks = 0;
  let scratch = Buffer.alloc(0);
  for await (const item of exportContents(plan, git, { streamFrom: STREAM_FROM })) {
    if (item.kind === 'directory' || item.entry.kind === 'directory') continue;
    const hash = createHash('sha256');
    if (item.kind === 'whole') hash.update(item.content);
    else if (item.kind === 'blob') {
      if (scratch.length < item.size) scratch = Buffer.allocUnsafe(Math.max(item.size, 64 * 1024));
      await item.readInto(scratch, 0);
      hash.update(scratch.subarray(0, item.size));
    } else if (item.kind === 'chunks') for await (const chunk of item.chunks) hash.update(chunk);
    digest.add(item.entry.path, item.entry.kind, hash.digest());
    if (item.entry.kind === 'symlink') symlinks += 1;
  }
  return { commit: plan.commit.commit, contentDigest: digest.digest(), files: digest.count - symlinks, symlinks };
}

/**
 * The folder every entry of a zip lies in, when there is exactly one: Composer installs what is
 * inside a zip's single top-level folder, so the package tree is the tree below it.
 */
function singleTopFolder(entries: readonly ZipEntry[]): string | undefined {
  let folder: string | undefined;
  for (const entry of entries) {
    const slash = entry.name.indexOf('/');
    if (slash <= 0) return undefined;
    const first = entry.name.slice(0, slash);
    if (folder === undefined) folder = first;
    else if (folder !== first) return undefined;
  }
  return folder;
}

const MAX_SYMLINK_TARGET = 4095;

/**
 * The content-tree digest of a zip (phpublish's own, a GitHub zipball, any plain zip), read with
 * the strict reader: the same digest as the git tree it was made from.
 */
export async function contentDigestOfZip(path: string, display = path): Promise<ZipDigest> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    throw new PhpublishError(
      'ARCHIVE_INPUT_UNREADABLE',
      { file: display, problem: (error as NodeJS.ErrnoException).code ?? String(error) },
      { cause: error },
    );
  }
  try {
    return await digestZip(file, display);
  } finally {
    await file.close();
  }
}

/** The same digest of a zip already in memory (a download small enough to keep): no scratch file. */
export function contentDigestOfZipBytes(bytes: Uint8Array, display: string): Promise<ZipDigest> {
  return digestZip(zipInMemory(bytes), display);
}

async function digestZip(input: ZipInput, display: string): Promise<ZipDigest> {
  const zip = await ZipReader.open(input, display);
  const folder = singleTopFolder(zip.entries);
  const collisions = new PathCollisions();
  const paths = new Map<ZipEntry, string>();
  for (const entry of zip.entries) {
    let name = folder ? entry.name.slice(folder.length + 1) : entry.name;
    if (folder && name.length === 0) continue; // the folder's own entry
    if (entry.kind === 'directory') name = name.slice(0, -1);
    const path = checkedPath(name);
    collisions.add(path, entry.kind === 'directory' ? 'directory' : 'file');
    if (entry.kind === 'symlink' && entry.size > MAX_SYMLINK_TARGET) {
      throw new PhpublishError('ARCHIVE_SYMLINK_ESCAPES', { path, target: `(${entry.size} bytes)` });
    }
    paths.set(entry, path);
  }
  // One pass front to back, which also checks every local header.
  const digest = new ContentDigestBuilder();
  const targets = new Map<string, Buffer>();
  for await (const entry of zip.inFileOrder()) {
    const path = paths.get(entry);
    if (entry.kind === 'directory' || path === undefined) continue;
    const hash = createHash('sha256');
    const target: Buffer[] = [];
    for await (const chunk of zip.content(entry)) {
      hash.update(chunk);
      // Chunks are reused by the reader: a target to keep is copied.
      if (entry.kind === 'symlink') target.push(Buffer.from(chunk));
    }
    if (entry.kind === 'symlink') targets.set(path, Buffer.concat(target));
    digest.add(path, entry.kind as Exclude<ZipEntry['kind'], 'directory'>, hash.digest());
  }
  checkSymlinks(targets);
  return {
    contentDigest: digest.digest(),
    files: digest.count - targets.size,
    symlinks: targets.size,
    folder: folder === undefined ? undefined : `${Buffer.from(folder, 'latin1').toString('utf8')}/`,
  };
}
