import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { PhpublishError } from '../errors/index.js';
import { CatFileBatch } from '../git/batch.js';
import { type GitContext, gitContextOf } from '../git/context.js';
import { ContentDigestBuilder } from './content-digest.js';
import { readFiles, STREAM_CHUNK } from './export-contents.js';
import { type ExportEntry, type ExportOptions, isRegularKind, planExport } from './export-plan.js';
import { checkedPath, checkSymlinks, MAX_TARGET_BYTES, PathCollisions } from './paths.js';
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

/** How much a digest may read. */
export interface DigestLimits {
  /**
   * The most bytes the package may unpack to, all files and symlinks together (for a zip, what
   * its entries declare, checked before anything is inflated; for a ref, the sizes git stores).
   * DEFAULT_MAX_UNPACKED_BYTES by default.
   */
  maxUnpackedBytes?: number | undefined;
}

/** 2 GiB: ten times the largest packages there are, and a bound on the work a zip bomb can cause. */
export const DEFAULT_MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024;

/** Refuses a package that unpacks to more than the limit. */
function checkUnpackedSize(source: string, size: number, limits: DigestLimits): void {
  const limit = limits.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES;
  if (size > limit) throw new PhpublishError('ARCHIVE_UNPACKED_TOO_LARGE', { source, size, limit });
}

/** How many gits read the blobs of a digest of a ref at once. */
const HASH_LANES = Math.min(4, availableParallelism());

/**
 * The content-tree digest of what `git archive` of `ref` contains, without building a zip. The
 * files git exports as they are stored are hashed as git delivers them (by a few gits at once);
 * the few it converts are read and converted first.
 */
export async function contentDigestOfRef(input: ExportOptions & DigestLimits): Promise<RefDigest> {
  const git = gitContextOf(input);
  const plan = await planExport(input);
  const unpacked = plan.entries.reduce((sum, entry) => (entry.kind === 'directory' ? sum : sum + entry.size), 0);
  checkUnpackedSize(input.ref, unpacked, input);
  const regular = plan.entries.filter((entry) => isRegularKind(entry.kind));
  const converted = regular.filter((entry) => entry.conversion);
  /** The SHA-256 of each regular file, by its place in the plan. */
  const hashes = new Map<number, Buffer>();
  const hashConverted = async () => {
    for await (const { entry, content } of readFiles(plan, git, converted)) hashes.set(entry.index, sha256(content));
  };
  const stored = regular.filter((entry) => !entry.conversion);
  await Promise.all([hashBlobs(git, stored, hashes), hashConverted()]);
  // In the plan's order, git's tree order: the byte order of the paths.
  const digest = new ContentDigestBuilder({ ordered: true });
  let symlinks = 0;
  for (const entry of plan.entries) {
    if (entry.kind === 'symlink') {
      digest.add(entry.path, 'symlink', sha256(plan.symlinkTargets.get(entry.path)!));
      symlinks += 1;
    } else if (entry.kind !== 'directory') {
      digest.add(entry.path, entry.kind, hashes.get(entry.index)!);
    }
  }
  return { commit: plan.commit.commit, contentDigest: digest.digest(), files: digest.count - symlinks, symlinks };
}

/**
 * The SHA-256 of each blob as git stores it, into `hashes`: the blobs are dealt to HASH_LANES
 * readers in turn, and each hashes its own in pieces (memory does not grow with a blob's size).
 */
async function hashBlobs(git: GitContext, blobs: readonly ExportEntry[], hashes: Map<number, Buffer>): Promise<void> {
  const lane = async (first: number) => {
    const mine = blobs.filter((_, i) => i % HASH_LANES === first);
    const reader = new CatFileBatch(git, { packLimits: true });
    try {
      reader.request(mine.map((blob) => blob.oid));
      for (const blob of mine) {
        const { size } = await reader.nextOf(blob.oid);
        const hash = createHash('sha256');
        for await (const piece of reader.pieces(size, STREAM_CHUNK)) hash.update(piece);
        hashes.set(blob.index, hash.digest());
      }
    } finally {
      await reader.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_LANES, blobs.length) }, (_, first) => lane(first)));
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/**
 * The folder every entry of a zip lies in, when there is exactly one: Composer installs what is
 * inside a zip's single top-level folder, so the package tree is the tree below it. Only its name
 * is found here: the caller checks it like any path, since a tool that keeps the folder (unzip)
 * writes where it says.
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

/**
 * The content-tree digest of a zip (phpublish's own, a GitHub zipball, any plain zip), read with
 * the strict reader: the same digest as the git tree it was made from.
 */
export async function contentDigestOfZip(path: string, display = path, limits: DigestLimits = {}): Promise<ZipDigest> {
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
    return await digestZip(file, display, limits);
  } finally {
    await file.close();
  }
}

/** The same digest of a zip already in memory (a download small enough to keep): no scratch file. */
export function contentDigestOfZipBytes(
  bytes: Uint8Array,
  display: string,
  limits: DigestLimits = {},
): Promise<ZipDigest> {
  return digestZip(zipInMemory(bytes), display, limits);
}

async function digestZip(input: ZipInput, display: string, limits: DigestLimits): Promise<ZipDigest> {
  const zip = await ZipReader.open(input, display);
  const folder = singleTopFolder(zip.entries);
  // The folder is a path like the others: `..`, `.git`, `C:` or a control character there would
  // put every file where the digest does not say.
  const folderText = folder === undefined ? undefined : checkedPath(folder);
  const collisions = new PathCollisions();
  const paths = new Map<ZipEntry, string>();
  let unpacked = 0;
  for (const entry of zip.entries) {
    unpacked += entry.size;
    let name = folder ? entry.name.slice(folder.length + 1) : entry.name;
    if (folder && name.length === 0) continue; // the folder's own entry
    if (entry.kind === 'directory') name = name.slice(0, -1);
    const path = checkedPath(name);
    collisions.add(path, entry.kind === 'directory' ? 'directory' : 'file');
    if (entry.kind === 'symlink' && entry.size > MAX_TARGET_BYTES) {
      throw new PhpublishError('ARCHIVE_SYMLINK_ESCAPES', { path, target: `(${entry.size} bytes)` });
    }
    paths.set(entry, path);
  }
  // Before anything is inflated: the reader stops each entry at its declared size.
  checkUnpackedSize(display, unpacked, limits);
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
    folder: folderText === undefined ? undefined : `${folderText}/`,
  };
}
