import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { type FileHandle, open, readFile, rm } from 'node:fs/promises';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { gitComplaint, runGit, runGitIntoFile } from '../git/run.js';
import { bytesEqual, indexOfByte } from './bytes.js';
import { TreeListing } from './tree-listing.js';

/** Where git runs: an explicit working directory and environment, nothing taken from the process. */
export interface GitContext {
  cwd: string;
  env?: Record<string, string | undefined>;
}

export type TreeEntryType = 'blob' | 'tree' | 'commit';

/** One entry of `git ls-tree -r -t`. */
export interface TreeEntry {
  mode: number;
  type: TreeEntryType;
  oid: string;
  /** Blob size in bytes; 0 for trees and submodules; MISSING when git cannot read the object. */
  size: number;
  /** The path's raw bytes as git stores them, as a Latin-1 string (one character per byte). */
  path: string;
  /** Where the entry's line starts in the tree's listing. */
  line: number;
  /** Where the path's raw bytes start in the tree's listing. */
  pathStart: number;
}

export interface CommitInfo {
  commit: string;
  tree: string;
  /** Committer time, seconds since the epoch: the one clock a commit carries. */
  committerTime: number;
}

/** A command as messages name it: without the `-c` settings it runs with. */
const shownCommand = (args: readonly string[]) => args.filter((arg, i) => arg !== '-c' && args[i - 1] !== '-c');

async function plumbing(args: string[], git: GitContext): Promise<Buffer> {
  const shown = shownCommand(args);
  const result = await runGit(args, git).catch((error: unknown) => {
    throw new PhpublishError('ARCHIVE_GIT_FAILED', { command: shown[0]!, problem: String(error) }, { cause: error });
  });
  if (result.exitCode !== 0) {
    throw new PhpublishError('ARCHIVE_GIT_FAILED', { command: shown.join(' '), problem: gitComplaint(result) });
  }
  return result.stdout;
}

/**
 * Like plumbing, but git writes its output into `file` (which must not exist; it is made private
 * to this user and removed before this returns), which is then read back: in one piece, or, with
 * a `window` size, through a window (TreeListing.fromFile) over the file, which stays open (unlinked:
 * nothing is left behind, whatever happens next) until the listing is closed. Read from a pipe,
 * output arrives in pieces that stay in memory until the garbage collector runs, and reading it
 * raises the process's resident set by nearly three times its size; read back from a file, by its
 * size, or by the window's. Where the file cannot be made, through a pipe after all.
 */
async function plumbingThroughFile(
  args: string[],
  git: GitContext,
  file: string,
  window: number | undefined,
): Promise<TreeListing> {
  let output: FileHandle;
  try {
    output = await open(file, 'wx', 0o600);
  } catch {
    return TreeListing.whole(await plumbing(args, git));
  }
  const failed = (problem: string, cause?: unknown) =>
    new PhpublishError(
      'ARCHIVE_GIT_FAILED',
      { command: shownCommand(args).join(' '), problem },
      cause ? { cause } : undefined,
    );
  try {
    const { exitCode, signal, stderr } = await runGitIntoFile(args, git, output);
    if (exitCode !== 0) {
      throw failed(gitComplaint({ exitCode: exitCode ?? (signal ? 128 : 1), stdout: Buffer.alloc(0), stderr }));
    }
    if (window === undefined) return TreeListing.whole(await readFile(file));
    const fd = openSync(file, 'r');
    try {
      return TreeListing.fromFile(fd, fstatSync(fd).size, window);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  } catch (error) {
    if (isPhpublishError(error)) throw error;
    throw failed(String(error), error);
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * The commit a ref names, with its tree and time, read with `reader` (the ref is asked for as
 * `<ref>^{commit}`, the way `git rev-parse` resolves it); undefined when there is no such commit.
 */
export async function readCommit(ref: string, reader: BlobReader): Promise<CommitInfo | undefined> {
  // A ref starting with '-' would be an option elsewhere; a line break would be a second request.
  if (ref.startsWith('-') || /[\0\n\r]/.test(ref)) return undefined;
  reader.request([`${ref}^{commit}`]);
  // git stops at once outside a repository: no commit by that name here either (as rev-parse says).
  const object = await reader.nextNamed().catch((error: unknown) => {
    if (isPhpublishError(error) && error.code === 'ARCHIVE_GIT_FAILED') return undefined;
    throw error;
  });
  if (!object) return undefined;
  const raw = (await reader.readAll(object.size)).toString('latin1');
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

const TYPES: readonly TreeEntryType[] = ['blob', 'tree', 'commit'];
const TYPE_WORDS: readonly Buffer[] = TYPES.map((type) => Buffer.from(type, 'latin1'));
const BAD = Buffer.from('BAD', 'latin1');

/** The object type written in `out[from, to)`, compared in place; undefined when it is none of git's three. */
function typeAt(out: Buffer, from: number, to: number): TreeEntryType | undefined {
  for (let i = 0; i < TYPE_WORDS.length; i++) {
    const word = TYPE_WORDS[i]!;
    if (to - from === word.length && bytesEqual(out, from, word, 0, word.length)) return TYPES[i];
  }
  return undefined;
}

/** The size of an object ls-tree could not read. */
export const MISSING = -1;

/**
 * The number written in `out[from, to)` in `base`, ignoring the spaces that pad it; `-` (the size
 * ls-tree gives trees and submodules) is 0; NaN when it is anything else. Parsed from the bytes:
 * no string per field for tens of thousands of entries.
 */
function digits(out: Buffer, from: number, to: number, base: 8 | 10): number {
  let value = 0;
  let seen = false;
  for (let i = from; i < to; i++) {
    const c = out[i]!;
    if (c === 0x20) continue;
    if (c === 0x2d && !seen && i === to - 1) return 0;
    const digit = c - 0x30;
    if (digit < 0 || digit >= base) return Number.NaN;
    value = value * base + digit;
    seen = true;
  }
  return seen ? value : Number.NaN;
}

/**
 * Every entry of a commit's tree, directories included, in git's order (parents before children):
 * git's output, kept as it came (a hundred bytes or so an entry) or, with a `window` size and
 * a `listingFile`, read through a window over it (TreeListing), read into an object per entry each
 * time it is iterated, so that no object per entry outlives its use. A windowed tree must be
 * closed (`listing.close()`).
 */
export async function listTree(
  commit: string,
  git: GitContext,
  listingFile?: string,
  { window }: { window?: number | undefined } = {},
): Promise<Tree> {
  // -l reads every blob's header: the pack is mapped as cat-file maps it.
  const args = [...PACK_MEMORY_LIMITS, 'ls-tree', '-r', '-t', '-z', '-l', '--full-tree', commit];
  const listing =
    listingFile === undefined
      ? TreeListing.whole(await plumbing(args, git))
      : await plumbingThroughFile(args, git, listingFile, window);
  return {
    listing,
    [Symbol.iterator]: () => treeEntries(listing),
    cursor: () => new TreeCursor(listing, { reuse: true }),
    where: (test) => treeEntries(listing, test),
  };
}

/** An entry of a pass over the whole tree: filled again for the next line, unless copied. */
export interface ReusedTreeEntry extends TreeEntry {
  copy(): TreeEntry;
}

/**
 * A tree listing. Iterated, each entry is an object of its own; `cursor` fills one entry object
 * again for every line (ReusedTreeEntry); `where` reads only the entries whose raw line passes
 * `test` (no object for the others).
 */
export interface Tree extends Iterable<TreeEntry> {
  /** git's output: lines "<mode> <type> <oid> <padded size>\t<path>", each ending in a NUL byte. */
  listing: TreeListing;
  /** A pass over every entry without an iterator result per entry (TreeCursor). */
  cursor(): { next(): ReusedTreeEntry | undefined };
  where(test: RawEntryTest): Iterable<TreeEntry>;
}

/**
 * A look at one line of the listing before it is read, in place: the line is
 * `bytes[lineStart, lineEnd)`, starting with the octal mode; its path's raw bytes are
 * `bytes[pathStart, lineEnd)` (offsets into the bytes given, not into the listing).
 */
export type RawEntryTest = (bytes: Buffer, lineStart: number, pathStart: number, lineEnd: number) => boolean;

/**
 * How many entries a listing has, and how many of them are blobs (files and symlinks) and trees or
 * submodules, read from the type after the six-digit mode of each line. For sizing what holds one
 * value per entry; not a check of the listing (treeEntries checks each line).
 */
export function countListing(listing: TreeListing): { entries: number; blobs: number; others: number } {
  let entries = 0;
  let blobs = 0;
  for (let start = 0; start < listing.length; ) {
    const end = listing.lineEnd(start);
    entries += 1;
    if (start + 7 < end && listing.bytes[start + 7 - listing.base] === 0x62) blobs += 1;
    start = end + 1;
  }
  return { entries, blobs, others: entries - blobs };
}

/**
 * An entry read from the listing; its object id is read from the listing only when asked for
 * (most entries' never are, during a selection). A pass over the whole tree fills one entry
 * again for each line (`copy` keeps one): an object per entry, made for tens of thousands of
 * entries, costs garbage collections, and some of them live long enough to be kept.
 */
class ListedEntry implements TreeEntry {
  constructor(
    public mode: number,
    public type: TreeEntryType,
    public size: number,
    public path: string,
    public line: number,
    public pathStart: number,
    readonly listing: TreeListing,
    public oidStart: number,
    public oidEnd: number,
  ) {}

  get oid(): string {
    return this.listing.text('latin1', this.oidStart, this.oidEnd);
  }

  copy(): ListedEntry {
    const { mode, type, size, path, line, pathStart, listing, oidStart, oidEnd } = this;
    return new ListedEntry(mode, type, size, path, line, pathStart, listing, oidStart, oidEnd);
  }
}

/**
 * Reads the entries of a listing in order, one per `next()` (undefined at the end): no iterator
 * result per entry. With `reuse`, one entry object is filled again for every line: what is kept
 * past the next call must be copied (`copy()`); otherwise each entry is an object of its own.
 * With `test`, only the lines that pass are read.
 */
class TreeCursor {
  readonly #listing: TreeListing;
  readonly #test: RawEntryTest | undefined;
  readonly #reuse: boolean;
  #reused: ListedEntry | undefined;
  #start = 0;

  constructor(listing: TreeListing, { test, reuse = false }: { test?: RawEntryTest; reuse?: boolean } = {}) {
    this.#listing = listing;
    this.#test = test;
    this.#reuse = reuse;
  }

  next(): ListedEntry | undefined {
    const listing = this.#listing;
    const test = this.#test;
    while (this.#start < listing.length) {
      const start = this.#start;
      // The window holds the line once its end is found; offsets into it are relative to its base.
      const lineEnd = listing.lineEnd(start);
      this.#start = lineEnd + 1;
      const out = listing.bytes;
      const base = listing.base;
      const from = start - base;
      const end = lineEnd - base;
      const tab = indexOfByte(out, 0x09, from, end);
      if (tab === -1) {
        throw new PhpublishError('ARCHIVE_GIT_FAILED', { command: 'ls-tree', problem: 'unexpected output' });
      }
      if (test && !test(out, from, tab + 1, end)) continue;
      // "<mode> <type> <oid> <padded size>\t<path>"
      const afterMode = indexOfByte(out, 0x20, from, tab);
      const afterType = indexOfByte(out, 0x20, afterMode + 1, tab);
      const afterOid = indexOfByte(out, 0x20, afterType + 1, tab);
      const type = typeAt(out, afterMode + 1, afterType);
      const mode = digits(out, from, afterMode, 8);
      // ls-tree says BAD for the size of an object it cannot read (a damaged repository).
      const size = tab - from >= 3 && bytesEqual(out, tab - 3, BAD, 0, 3) ? MISSING : digits(out, afterOid, tab, 10);
      if (afterMode === -1 || afterType === -1 || afterOid === -1 || !type || mode < 0 || Number.isNaN(size)) {
        throw new PhpublishError('ARCHIVE_GIT_FAILED', { command: 'ls-tree', problem: 'unexpected output' });
      }
      const path = out.toString('latin1', tab + 1, end);
      const pathStart = base + tab + 1;
      const oidStart = base + afterType + 1;
      const oidEnd = base + afterOid;
      const reused = this.#reused;
      if (!reused) {
        const entry = new ListedEntry(mode, type, size, path, start, pathStart, listing, oidStart, oidEnd);
        if (this.#reuse) this.#reused = entry;
        return entry;
      }
      reused.mode = mode;
      reused.type = type;
      reused.size = size;
      reused.path = path;
      reused.line = start;
      reused.pathStart = pathStart;
      reused.oidStart = oidStart;
      reused.oidEnd = oidEnd;
      return reused;
    }
    return undefined;
  }
}

/** The entries of a listing (those whose line passes `test`), each an object of its own. */
function* treeEntries(listing: TreeListing, test?: RawEntryTest): Generator<ListedEntry> {
  const cursor = new TreeCursor(listing, { test });
  for (let entry = cursor.next(); entry !== undefined; entry = cursor.next()) yield entry;
}

/**
 * git maps pack files into memory as it reads them, by default up to the whole pack, so its
 * memory would grow with the repository: these limits on pack windows (four windows of 1 MiB at
 * most; with 16 MiB a git grew until it had mapped 16 MiB of a large pack) and the delta cache keep
 * it flat, at no measurable cost in time. For every git that reads many objects here.
 */
export const PACK_MEMORY_LIMITS = [
  '-c',
  'core.packedGitWindowSize=1m',
  '-c',
  'core.packedGitLimit=4m',
  '-c',
  'core.deltaBaseCacheLimit=16m',
] as const;

/** `git cat-file --batch` within PACK_MEMORY_LIMITS. */
export const CAT_FILE_BATCH = [...PACK_MEMORY_LIMITS, 'cat-file', '--batch'] as const;

/** How far the reader runs ahead of its consumer: bytes buffered before git is paused. */
const HIGH_WATER = 4 * 1024 * 1024;
/** How many requests are written to git before their answers are read. */
const REQUESTS_AHEAD = 256;

/**
 * One long-running `git cat-file --batch`: blobs are requested in the order they will be read,
 * and read back either whole or in chunks, with backpressure so memory stays flat however large
 * the blobs are.
 */
export class BlobReader {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #chunks: Buffer[] = [];
  #buffered = 0;
  #ended = false;
  #stderr = '';
  #wake: (() => void) | undefined;
  readonly #pending: string[] = [];
  #written = 0;
  #read = 0;

  constructor(git: GitContext) {
    this.#child = spawn('git', [...CAT_FILE_BATCH], {
      cwd: git.cwd,
      env: git.env as NodeJS.ProcessEnv | undefined,
      stdio: 'pipe',
    });
    this.#child.stdout.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered > HIGH_WATER) this.#child.stdout.pause();
      this.#notify();
    });
    this.#child.stdout.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    this.#child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString('utf8');
    });
    this.#child.on('error', (error) => {
      this.#stderr += String(error);
      this.#ended = true;
      this.#notify();
    });
    // git exits early on a broken repository; what it says on stderr explains why.
    this.#child.stdin.on('error', () => {});
  }

  /** Queues blobs to be read, in this order. */
  request(oids: Iterable<string>): void {
    for (const oid of oids) this.#pending.push(oid);
    this.#feed();
  }

  /**
   * Reads the header of the next requested object, asked for by name (not by id); undefined when
   * git finds no such object (the caller then reads nothing), else the caller reads `size` bytes.
   */
  async nextNamed(): Promise<{ oid: string; type: string; size: number } | undefined> {
    this.#read += 1;
    this.#feed();
    const line = await this.#readLine();
    const [oid, type, size] = line.split(' ');
    // "<name> missing", "<name> ambiguous": nothing follows.
    if (size === undefined) return undefined;
    if (!/^[0-9a-f]{40,64}$/.test(oid!) || !/^\d+$/.test(size)) {
      throw new PhpublishError('ARCHIVE_GIT_FAILED', {
        command: 'cat-file --batch',
        problem: `unexpected answer "${line}"`,
      });
    }
    return { oid: oid!, type: type!, size: Number(size) };
  }

  /** Reads the next requested object's header; the caller then reads exactly `size` bytes. */
  async next(expectedOid: string): Promise<{ type: string; size: number }> {
    this.#read += 1;
    this.#feed();
    const line = await this.#readLine();
    const [oid, type, size] = line.split(' ');
    if (oid !== expectedOid || type === 'missing' || size === undefined) {
      throw new PhpublishError('ARCHIVE_GIT_FAILED', {
        command: 'cat-file --batch',
        problem: type === 'missing' ? `object ${expectedOid} is missing` : `unexpected answer "${line}"`,
      });
    }
    return { type: type!, size: Number(size) };
  }

  /** The whole content of the current object (`size` from its header), then the separator. */
  async readAll(size: number): Promise<Buffer> {
    const content = await this.#take(size);
    await this.#take(1);
    return content;
  }

  async close(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('close', resolve));
      this.#child.stdin.end();
      this.#child.stdout.resume();
      // A reader closed early (after an error) must not leave git running.
      const timer = setTimeout(() => this.#child.kill(), 2000);
      await exited;
      clearTimeout(timer);
    }
  }

  #feed(): void {
    // Top up in batches: one write (and one wake-up of git) per batch, not one per object.
    if (this.#written - this.#read > REQUESTS_AHEAD / 2) return;
    const lines: string[] = [];
    while (this.#written < this.#pending.length && this.#written - this.#read < REQUESTS_AHEAD) {
      lines.push(this.#pending[this.#written]!);
      this.#written += 1;
    }
    if (lines.length > 0) this.#child.stdin.write(`${lines.join('\n')}\n`);
    // The requests already answered need not be kept.
    if (this.#read > 4096 && this.#read === this.#written) {
      this.#pending.splice(0, this.#written);
      this.#written = 0;
      this.#read = 0;
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #fill(n: number): Promise<void> {
    while (this.#buffered < n) {
      if (this.#ended) {
        throw new PhpublishError('ARCHIVE_GIT_FAILED', {
          command: 'cat-file --batch',
          problem: this.#stderr.trim() || 'git stopped before answering',
        });
      }
      this.#child.stdout.resume();
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  async #take(n: number): Promise<Buffer> {
    await this.#fill(n);
    let out: Buffer;
    const first = this.#chunks[0]!;
    if (n === 0) {
      out = Buffer.alloc(0);
    } else if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let offset = 0;
      while (offset < n) {
        const chunk = this.#chunks[0]!;
        const k = Math.min(chunk.length, n - offset);
        chunk.copy(out, offset, 0, k);
        offset += k;
        if (k === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(k);
      }
    }
    this.#buffered -= n;
    if (this.#buffered < HIGH_WATER / 2) this.#child.stdout.resume();
    return out;
  }

  async #readLine(): Promise<string> {
    for (;;) {
      let seen = 0;
      for (const chunk of this.#chunks) {
        const nl = chunk.indexOf(0x0a);
        if (nl !== -1) {
          const line = await this.#take(seen + nl + 1);
          return line.toString('latin1', 0, line.length - 1);
        }
        seen += chunk.length;
      }
      await this.#fill(this.#buffered + 1);
    }
  }
}
