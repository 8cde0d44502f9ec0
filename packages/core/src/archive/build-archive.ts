import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { CompressionPool, type DeflateMode, SLOT_BYTES, SLOT_FILES, type Slot } from './compression-pool.js';
import { ContentDigestBuilder } from './content-digest.js';
import type { Conversion } from './conversions.js';
import { ConvertedFiles, STREAM_CHUNK } from './export-contents.js';
import { type ExportEntries, isRegularKind } from './export-entries.js';
import {
  type ExportEntry,
  type ExportOptions,
  type ExportPlan,
  type ExportSelection,
  SELECT_AHEAD,
  startExport,
} from './export-plan.js';
import type { GitContext } from './git-objects.js';
import { type SpilledFile, SpillFiles } from './large-files.js';
import { checkOutputTarget, describeError } from './output-file.js';
import { LISTING_WINDOW_BYTES } from './tree-listing.js';
import { METHOD_DEFLATE, METHOD_STORE } from './zip-format.js';
import { type EntryKind, type StoredData, type ZipLimits, ZipWriter } from './zip-writer.js';

export interface BuildArchiveInput extends ExportOptions {
  /** Where to write the zip; it is written to a temporary file beside it, then renamed. */
  outFile: string;
  /** Worker threads that compress; by default one per core. Does not change the bytes. */
  concurrency?: number;
  /**
   * For tests: treat files as large (spill files, the large files' compression rule) from this
   * size on, use zip64 fields from this value on, deflate each file with its own zlib stream (what
   * runs when Node's zlib handle cannot be reused), read the tree's listing through a window of
   * this many bytes at first.
   */
  tuning?: { largeFrom?: number; limits?: ZipLimits; deflate?: DeflateMode; listingWindow?: number };
}

export interface ArchiveResult {
  commit: string;
  file: string;
  /** SHA-256 of the zip's bytes, lowercase hex. */
  sha256: string;
  bytes: number;
  /** The content-tree digest of what the zip contains. */
  contentDigest: string;
  /** The zip's one top-level folder, with its trailing slash. */
  folder: string;
  files: number;
  symlinks: number;
  directories: number;
  /** The zlib that compressed: the byte-for-byte promise holds for the same zlib. */
  zlib: string;
}

/** A batch goes to a worker once it holds this many bytes or entries (a slot holds at most SLOT_BYTES). */
const BATCH_BYTES = 512 * 1024;
const BATCH_ENTRIES = SLOT_FILES;

/**
 * The zip's single top-level folder, named like GitHub's zipballs (`<vendor>-<name>-<short sha>/`):
 * Composer strips a zip's single top-level folder when it installs, so with one the installed files
 * are exactly the package's, whatever its own layout.
 */
export function archiveFolder(plan: ExportPlan): string {
  const short = plan.commit.commit.slice(0, 7);
  return plan.packageName ? `${plan.packageName.replace('/', '-')}-${short}/` : `${short}/`;
}

/**
 * Runs writes one after the other, in the order they were added, while compression runs ahead.
 * The first failure is reported once (so that whoever waits for memory stops waiting) and
 * surfaces at drain().
 */
class OrderedWrites {
  #chain: Promise<void> = Promise.resolve();
  readonly #onFailure: (error: unknown) => void;

  constructor(onFailure: (error: unknown) => void) {
    this.#onFailure = onFailure;
  }

  add(write: () => Promise<void>): void {
    const failed = this.#chain.then(write);
    this.#chain = failed;
    failed.catch(this.#onFailure);
  }

  drain(): Promise<void> {
    return this.#chain;
  }
}

/**
 * The entries of one batch, in order. Their files (not directories, not symlinks) lie one after
 * the other in the batch's slot: `sizes[i]` bytes for the i-th, read by a worker from git when
 * `oids[i]` is an object id, or already copied there when it is '' (a converted file). Numbers in
 * typed arrays of a fixed size, and batches used again once written (Batches): a batch lives until
 * its files are in the zip, across many garbage collections, and what survives them makes V8 keep
 * more memory as the run goes on.
 */
class Batch {
  /** The entries' places in the plan, in order: `count` of them. */
  readonly entries = new Int32Array(BATCH_ENTRIES);
  count = 0;
  /** The files' sizes: `files` of them. */
  readonly sizes = new Float64Array(BATCH_ENTRIES);
  files = 0;
  /** Dropped once the worker has them. */
  oids: string[] = [];
  /** Bytes of the slot in use. */
  used = 0;

  add(index: number): void {
    this.entries[this.count++] = index;
  }

  addFile(index: number, size: number, oid: string): void {
    this.add(index);
    this.sizes[this.files++] = size;
    this.oids.push(oid);
    this.used += size;
  }

  /** The last entry's place in the plan. */
  get last(): number {
    return this.entries[this.count - 1]!;
  }
}

/** Batches to fill, used again once written. */
class Batches {
  readonly #spare: Batch[] = [];

  take(): Batch {
    return this.#spare.pop() ?? new Batch();
  }

  giveBack(batch: Batch): void {
    batch.count = 0;
    batch.files = 0;
    batch.oids = [];
    batch.used = 0;
    this.#spare.push(batch);
  }
}

/**
 * The zip's names of entries: the top-level folder, the path, a slash after a directory, made in
 * one buffer reused from entry to entry (the zip writer copies a name before it returns), with
 * one view of it kept per length of name and of path: nothing is made per entry.
 */
class EntryNames {
  readonly #folderLength: number;
  #buffer: Buffer;
  /** Views of the buffer from its start (names) and from the path's start (paths), by length. */
  #names: Buffer[] = [];
  #paths: Buffer[] = [];
  #pathLength = 0;

  constructor(folder: string) {
    const prefix = Buffer.from(folder, 'utf8');
    this.#folderLength = prefix.length;
    this.#buffer = Buffer.allocUnsafe(prefix.length + 4096);
    prefix.copy(this.#buffer);
  }

  /** The name of the plan's entry at `index`, from the listing's bytes; valid until the next call. */
  of(entries: ExportEntries, index: number, kind: EntryKind): Buffer {
    const pathStart = entries.pathStartAt(index);
    const pathEnd = entries.pathEndAt(pathStart);
    this.#pathLength = pathEnd - pathStart;
    const length = this.#folderLength + this.#pathLength + (kind === 'directory' ? 1 : 0);
    if (length > this.#buffer.length) {
      const bigger = Buffer.allocUnsafe(length);
      this.#buffer.copy(bigger, 0, 0, this.#folderLength);
      this.#buffer = bigger;
      this.#names = [];
      this.#paths = [];
    }
    entries.listing.copyTo(pathStart, pathEnd, this.#buffer, this.#folderLength);
    if (kind === 'directory') this.#buffer[length - 1] = 0x2f;
    this.#names[length] ??= this.#buffer.subarray(0, length);
    return this.#names[length]!;
  }

  /** The path's bytes of the last name made (without the folder or a directory's slash); valid until the next call. */
  get path(): Buffer {
    const length = this.#pathLength;
    this.#paths[length] ??= this.#buffer.subarray(this.#folderLength, this.#folderLength + length);
    return this.#paths[length]!;
  }
}

/** Splits content already in memory into the chunks a large file is deflated in. */
async function* chunksOf(content: Buffer): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < content.length; offset += STREAM_CHUNK) {
    yield content.subarray(offset, offset + STREAM_CHUNK);
  }
}

/**
 * Builds the reproducible zip of a commit: `git archive`'s file set and contents in git's order
 * under one top-level folder, with the commit's time, normalised modes and fixed deflate settings,
 * streamed to disk with bounded memory while every core compresses. Returns its SHA-256 and its
 * content-tree digest.
 */
export async function buildArchive(input: BuildArchiveInput): Promise<ArchiveResult> {
  // Before anything is made beside it (for `/dev/full`, that would be in /dev).
  await checkOutputTarget(input.outFile);
  // Temporary files beside the zip: `.<name>.<random>.tmp` (the zip until it is complete), the
  // central directory's and the spill files; the workers' sockets for a moment.
  const stem = join(dirname(input.outFile), `.${basename(input.outFile)}.${randomBytes(6).toString('hex')}`);
  // The workers start while the tree is planned.
  const pool = new CompressionPool({
    git: { cwd: input.cwd, ...(input.env ? { env: input.env } : {}) },
    concurrency: input.concurrency,
    deflate: input.tuning?.deflate,
    answerSockets: `${stem}.answers`,
  });
  try {
    return await writeArchive(input, pool, stem);
  } finally {
    await pool.close();
  }
}

/**
 * Puts the large files that git exports as they are stored (too large for a worker's slot) into
 * the spill files, deflated or as they are, while the workers compress the rest: the files are
 * dealt to the lanes in turn from lane `dealt` on, and each lane takes its own, in the plan's
 * order, from its own `git cat-file --batch`. Each file's promise, by its place in the plan, goes
 * into `results`; it settles when the file is in its spill file. Returns how many files have been
 * dealt.
 */
function spillLargeFiles(
  git: GitContext,
  files: readonly ExportEntry[],
  spill: SpillFiles,
  dealt: number,
  results: Map<number, Promise<SpilledFile>>,
): number {
  for (let lane = 0; lane < Math.min(spill.lanes, files.length); lane++) {
    const mine = files.filter((_, i) => (dealt + i) % spill.lanes === lane);
    const spilled = spill.addFromGit(lane, git, mine);
    for (const [i, entry] of mine.entries()) results.set(entry.index, spilled[i]!);
  }
  return dealt + files.length;
}

async function writeArchive(input: BuildArchiveInput, pool: CompressionPool, stem: string): Promise<ArchiveResult> {
  // The listing is read through a window that keeps only the lines of entries not yet written.
  const plan = await startExport({
    ...input,
    listingFile: `${stem}.listing.tmp`,
    listingWindow: input.tuning?.listingWindow ?? LISTING_WINDOW_BYTES,
  });
  try {
    return await writePlan(input, pool, stem, plan);
  } finally {
    plan.close();
  }
}

async function writePlan(
  input: BuildArchiveInput,
  pool: CompressionPool,
  stem: string,
  plan: ExportSelection,
): Promise<ArchiveResult> {
  const git = { cwd: input.cwd, ...(input.env ? { env: input.env } : {}) };
  const folder = archiveFolder(plan);
  const temporary = `${stem}.tmp`;
  // Where the central directory waits until it is written, beside the zip too.
  const directoryPath = `${stem}.directory.tmp`;
  let file: FileHandle;
  let directoryFile: FileHandle;
  try {
    file = await open(temporary, 'wx');
    directoryFile = await open(directoryPath, 'wx+').catch(async (error: unknown) => {
      await file.close();
      await rm(temporary, { force: true });
      throw error;
    });
  } catch (error) {
    throw new PhpublishError(
      'ARCHIVE_OUTPUT_FAILED',
      { file: input.outFile, problem: describeError(error) },
      { cause: error },
    );
  }
  // Entries are added in the zip's order, git's tree order: the byte order of the paths.
  const digest = new ContentDigestBuilder({ ordered: true });
  const counts = { files: 0, symlinks: 0, directories: 0 };
  const failed = new AbortController();
  const spill = new SpillFiles((lane) => `${stem}.large-${lane}.tmp`, pool.size, failed.signal);
  let written: { bytes: number; sha256: string };
  let writes: OrderedWrites | undefined;
  try {
    const zip = new ZipWriter(file, plan.commit.committerTime, input.tuning?.limits, directoryFile);
    const names = new EntryNames(folder);
    const stored: StoredData = { method: METHOD_STORE, data: Buffer.alloc(0), crc: 0, size: 0 };
    const ordered = new OrderedWrites((error) => {
      pool.fail(error);
      failed.abort(error);
    });
    writes = ordered;

    const batches = new Batches();
    let batch = batches.take();
    let slot: Slot | undefined;
    const dispatch = () => {
      if (batch.count === 0) return;
      const taken = batch;
      const takenSlot = slot;
      batch = batches.take();
      slot = undefined;
      const compressed =
        takenSlot && taken.files > 0
          ? pool.compress(takenSlot, taken.sizes.subarray(0, taken.files), taken.oids)
          : undefined;
      compressed?.catch(() => {});
      taken.oids = [];
      ordered.add(async () => {
        try {
          const results = await compressed;
          let file = 0;
          let input = 0;
          let output = 0;
          for (let entry = 0; entry < taken.count; entry++) {
            const index = taken.entries[entry]!;
            const kind = plan.entries.kindAt(index);
            // The name from the path's bytes as the listing has them (checked UTF-8 when the plan was made).
            const name = names.of(plan.entries, index, kind);
            let pending: Promise<void> | undefined;
            if (kind === 'directory') {
              pending = zip.addDirectory(name);
              counts.directories += 1;
            } else if (kind === 'symlink') {
              const target = plan.symlinkTargets.get(plan.entries.pathAt(index))!;
              pending = zip.addEntry(name, 'symlink', {
                method: METHOD_STORE,
                data: target,
                crc: crc32(target),
                size: target.length,
              });
              digest.add(names.path, 'symlink', sha256(target));
              counts.symlinks += 1;
            } else {
              const size = taken.sizes[file]!;
              const deflated = results!.lengths[file]!;
              // One object filled for every file (the writer reads it before it returns).
              stored.method = deflated >= 0 ? METHOD_DEFLATE : METHOD_STORE;
              stored.data =
                deflated >= 0
                  ? takenSlot!.output.subarray(output, output + deflated)
                  : takenSlot!.input.subarray(input, input + size);
              stored.crc = results!.crcs[file]!;
              stored.size = size;
              pending = zip.addEntry(name, kind, stored);
              digest.add(names.path, kind, results!.shas, 32 * file);
              counts.files += 1;
              input += size;
              if (deflated >= 0) output += deflated;
              file += 1;
            }
            if (pending) await pending;
          }
          // Written: their lines of the listing are no longer needed.
          plan.entries.release(taken.last + 1);
        } finally {
          if (takenSlot) pool.release(takenSlot);
          batches.giveBack(taken);
        }
      });
    };
    /** A large file goes into the zip from its spill file, once it is there and its turn comes. */
    const writeSpilled = (index: number, spilled: Promise<SpilledFile>) => {
      dispatch();
      ordered.add(async () => {
        const kind = plan.entries.kindAt(index) as 'file' | 'executable';
        const large = await spilled;
        const name = names.of(plan.entries, index, kind);
        digest.add(names.path, kind, large.sha256);
        await zip.addLargeEntry(name, kind, large, spill.read(large));
        plan.entries.release(index + 1);
        counts.files += 1;
      });
    };

    const top = zip.addDirectory(Buffer.from(folder, 'utf8'));
    if (top) await top;
    const largeFrom = Math.min(input.tuning?.largeFrom ?? SLOT_BYTES, SLOT_BYTES);
    // Most files go to the workers as they are (they read them from git); large ones go into the
    // spill files as soon as possible; this thread reads only the files git converts.
    const isLarge = (kind: EntryKind, size: number, conversion: Conversion | undefined) =>
      isRegularKind(kind) && conversion === undefined && size >= largeFrom;
    const largeFiles = new Map<number, Promise<SpilledFile>>();
    // Large files are dealt to the lanes in turn, in the order they come.
    let dealt = 0;
    const converted = new ConvertedFiles(plan.commit.commit, git);
    try {
      // The plan is selected a part at a time, each part's files handed out before the next part is
      // selected: the workers start on the first files while the tree is still being selected.
      const entries = plan.entries;
      for (let from = 0, to = plan.selectMore(SELECT_AHEAD); from < to; from = to, to = plan.selectMore(SELECT_AHEAD)) {
        // What this part's large files and converted files are is known before any of it is written.
        dealt = spillLargeFiles(git, entries.pick(isLarge, from, to), spill, dealt, largeFiles);
        converted.want(
          entries.pick((kind, _size, conversion) => isRegularKind(kind) && conversion !== undefined, from, to),
        );
        // By place in the plan: an entry is read from the listing where it is needed, and what
        // waits to be written is numbers (the main thread keeps little alive between garbage
        // collections).
        for (let index = from; index < to; index++) {
          const kind = entries.kindAt(index);
          const size = entries.sizeAt(index);
          const conversion = entries.conversionAt(index);
          if (kind === 'directory' || kind === 'symlink') {
            batch.add(index);
          } else if (isLarge(kind, size, conversion)) {
            writeSpilled(index, largeFiles.get(index)!);
            largeFiles.delete(index);
          } else if (conversion === undefined) {
            if (slot && batch.used + size > SLOT_BYTES) dispatch();
            slot ??= await pool.acquire();
            batch.addFile(index, size, entries.oidAt(index));
          } else {
            const item = await converted.next();
            if (item.content.length >= largeFrom) {
              const spilled = spill.add(dealt++, item.content.length, chunksOf(item.content));
              spilled.catch(() => {});
              writeSpilled(index, spilled);
            } else {
              if (slot && batch.used + item.content.length > SLOT_BYTES) dispatch();
              slot ??= await pool.acquire();
              item.content.copy(slot.input, batch.used);
              batch.addFile(index, item.content.length, '');
            }
          }
          if (batch.count >= BATCH_ENTRIES || batch.used >= BATCH_BYTES) dispatch();
        }
      }
    } finally {
      await converted.close();
    }
    dispatch();
    await ordered.drain();
    // Every file is compressed: the workers and their git stop while the zip is finished.
    void pool.close();
    written = await zip.finish(Buffer.from(plan.commit.commit, 'latin1'));
    await file.close();
  } catch (error) {
    failed.abort(error);
    // What is on its way stops (compression and large files fail with the error) before the file goes.
    pool.fail(error);
    await writes?.drain().catch(() => {});
    await file.close().catch(() => {});
    await rm(temporary, { force: true });
    throw isPhpublishError(error)
      ? error
      : new PhpublishError(
          'ARCHIVE_OUTPUT_FAILED',
          { file: input.outFile, problem: describeError(error) },
          { cause: error },
        );
  } finally {
    // The large files' gits and deflates have stopped (they end or see the abort) before the spill files go.
    await spill.close();
    await directoryFile.close().catch(() => {});
    await rm(directoryPath, { force: true });
  }
  try {
    // Again: the path may have been replaced while the zip was written.
    await checkOutputTarget(input.outFile);
    await rename(temporary, input.outFile);
  } catch (error) {
    await rm(temporary, { force: true });
    if (isPhpublishError(error)) throw error;
    throw new PhpublishError(
      'ARCHIVE_OUTPUT_FAILED',
      { file: input.outFile, problem: describeError(error) },
      { cause: error },
    );
  }
  return {
    commit: plan.commit.commit,
    file: input.outFile,
    sha256: written.sha256,
    bytes: written.bytes,
    contentDigest: digest.digest(),
    folder,
    ...counts,
    zlib: process.versions.zlib ?? 'unknown',
  };
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}
