import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { CatFileBatch } from '../git/batch.js';
import { type GitContext, gitContextOf } from '../git/context.js';
import { type CompressedFile, compressFile, DEFLATE_OPTIONS } from './compress-worker.js';
import { CompressionWorkers } from './compression-workers.js';
import { ContentDigestBuilder } from './content-digest.js';
import { convertContent, STREAM_CHUNK } from './export-contents.js';
import { type ExportEntry, type ExportOptions, type ExportPlan, isRegularKind, planExport } from './export-plan.js';
import { SubstExpander } from './export-subst.js';
import { checkOutputTarget, describeError } from './output-file.js';
import { METHOD_DEFLATE, METHOD_STORE } from './zip-format.js';
import { type ZipLimits, ZipWriter } from './zip-writer.js';

export interface BuildArchiveInput extends ExportOptions {
  /** Where to write the zip; it is written to a temporary file beside it, then renamed. */
  outFile: string;
  /**
   * Worker threads that compress beside this thread: by default one per core but one when the
   * tree's small files add up to 4 MiB or more, none below; 0 for none. Does not change the bytes.
   */
  concurrency?: number;
}

/**
 * Knobs for the tests, not part of the `archive` subpath: treat files as large (streamed through
 * the spill file, the large files' compression rule) from `largeFrom` on; use zip64 fields from
 * `limits.zip64` on.
 */
export interface ArchiveTuning {
  largeFrom?: number;
  limits?: ZipLimits;
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

/** Files from this size on are streamed through a spill file (not held in memory) and may be stored without deflating. */
export const LARGE_FILE = 1024 * 1024;
/** How much of a large file decides whether it is deflated. */
export const SAMPLE_BYTES = 64 * 1024;
/** Files read ahead of the one being written, at most: their bytes, with their deflated bytes, are in memory. */
const AHEAD_FILES = 512;
const AHEAD_BYTES = 8 * 1024 * 1024;
/** Small files go to the workers in batches of this many files or bytes. */
const BATCH_FILES = 64;
const BATCH_BYTES = 512 * 1024;
/** Trees whose small files add up to less than this are compressed on this thread (no workers to start). */
const WORKERS_FROM = 4 * 1024 * 1024;

/**
 * Whether a large file is deflated: when its first SAMPLE_BYTES deflate to at most 63/64 of their
 * size. Otherwise it is stored as it is: compressed media, archives and random bytes would cost
 * deflate's full time for nothing (`git archive` deflates them, then stores them when the result
 * is not smaller). A function of the bytes alone, so the same file is always treated the same way.
 */
export function worthDeflating(first: Buffer): boolean {
  const sample = first.subarray(0, SAMPLE_BYTES);
  if (sample.length === 0) return false;
  return deflateRawSync(sample, DEFLATE_OPTIONS).length * 64 <= sample.length * 63;
}

/**
 * The zip's single top-level folder, named like GitHub's zipballs (`<vendor>-<name>-<short sha>/`):
 * Composer strips a zip's single top-level folder when it installs, so with one the installed files
 * are exactly the package's, whatever its own layout.
 */
export function archiveFolder(plan: ExportPlan): string {
  const short = plan.commit.commit.slice(0, 7);
  return plan.packageName ? `${plan.packageName.replace('/', '-')}-${short}/` : `${short}/`;
}

/** A zip records a name's length in 16 bits. */
const MAX_ZIP_NAME = 0xffff;

/**
 * Refuses (before anything is written) a path that would not fit in the zip once under the
 * top-level folder: the path rules allow 65,535 bytes for the path alone.
 */
function checkZipNames(plan: ExportPlan): void {
  const folder = archiveFolder(plan);
  const room = MAX_ZIP_NAME - Buffer.byteLength(folder, 'utf8');
  for (const entry of plan.entries) {
    const length = Buffer.byteLength(entry.path, 'utf8') + (entry.kind === 'directory' ? 1 : 0);
    if (length > room) {
      throw new PhpublishError('ARCHIVE_PATH_UNSAFE', {
        path: entry.path,
        problem: `under the zip's top-level folder "${folder}" it would be longer than ${MAX_ZIP_NAME} bytes, the most a zip entry's name can hold`,
      });
    }
  }
}

/** Splits content already in memory into the pieces a large file is streamed in. */
async function* piecesOf(content: Buffer): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < content.length; offset += STREAM_CHUNK) {
    yield content.subarray(offset, offset + STREAM_CHUNK);
  }
}

/**
 * A large file streamed into the spill file (emptied first): deflated when worthDeflating says so,
 * else as it is. Returns what the zip records of it and the SHA-256 of its content.
 */
async function spill(
  file: FileHandle,
  pieces: AsyncIterable<Buffer>,
): Promise<{
  method: typeof METHOD_DEFLATE | typeof METHOD_STORE;
  crc: number;
  size: number;
  compressedSize: number;
  sha256: Buffer;
}> {
  await file.truncate(0);
  const hash = createHash('sha256');
  let crc = 0;
  let size = 0;
  let written = 0;
  const append = async (bytes: Buffer) => {
    for (let done = 0; done < bytes.length; ) {
      done += (await file.write(bytes, done, bytes.length - done, written + done)).bytesWritten;
    }
    written += bytes.length;
  };
  let deflater: ReturnType<typeof createDeflateRaw> | undefined;
  let output: Promise<void> = Promise.resolve();
  for await (const piece of pieces) {
    if (size === 0) {
      if (worthDeflating(piece)) {
        // Output pieces as large as the input's: fewer round trips to zlib's thread.
        const stream = createDeflateRaw({ ...DEFLATE_OPTIONS, chunkSize: STREAM_CHUNK });
        deflater = stream;
        output = (async () => {
          for await (const chunk of stream) await append(chunk as Buffer);
        })();
        output.catch(() => {});
      }
    }
    crc = crc32(piece, crc);
    hash.update(piece);
    size += piece.length;
    if (!deflater) await append(piece);
    else if (!deflater.write(piece)) await Promise.race([once(deflater, 'drain'), output]);
  }
  deflater?.end();
  await output;
  return {
    method: deflater ? METHOD_DEFLATE : METHOD_STORE,
    crc,
    size,
    compressedSize: written,
    sha256: hash.digest(),
  };
}

/** The `length` bytes at the start of `file`, in pieces. */
async function* spilled(file: FileHandle, length: number): AsyncGenerator<Buffer> {
  const buffer = Buffer.allocUnsafe(LARGE_FILE);
  for (let at = 0; at < length; ) {
    const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, length - at), at);
    if (bytesRead === 0) throw new Error('the spill file ended early');
    at += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

const outputFailed = (file: string, error: unknown) =>
  isPhpublishError(error)
    ? error
    : new PhpublishError('ARCHIVE_OUTPUT_FAILED', { file, problem: describeError(error) }, { cause: error });

/**
 * Builds the reproducible zip of a commit: `git archive`'s file set and contents in git's order
 * under one top-level folder, with the commit's time, normalised modes and fixed deflate settings,
 * written to a temporary file beside `outFile` and renamed onto it once complete. Returns its
 * SHA-256 and its content-tree digest.
 */
export function buildArchive(input: BuildArchiveInput): Promise<ArchiveResult> {
  return buildTunedArchive(input, {});
}

/** buildArchive with the tests' knobs (ArchiveTuning). */
export async function buildTunedArchive(input: BuildArchiveInput, tuning: ArchiveTuning): Promise<ArchiveResult> {
  // Before anything is made beside it (for `/dev/full`, that would be in /dev).
  await checkOutputTarget(input.outFile);
  const stem = join(dirname(input.outFile), `.${basename(input.outFile)}.${randomBytes(6).toString('hex')}`);
  const plan = await planExport(input);
  checkZipNames(plan);
  const temporary = `${stem}.tmp`;
  const spillPath = `${stem}.large.tmp`;
  let zipFile: FileHandle | undefined;
  let spillFile: FileHandle | undefined;
  try {
    zipFile = await open(temporary, 'wx');
    spillFile = await open(spillPath, 'wx+');
    const result: ArchiveResult = { ...(await writeZip(input, tuning, plan, zipFile, spillFile)), file: input.outFile };
    await zipFile.close();
    // Again: the path may have been replaced while the zip was written.
    await checkOutputTarget(input.outFile);
    await rename(temporary, input.outFile);
    return result;
  } catch (error) {
    await zipFile?.close().catch(() => {});
    await rm(temporary, { force: true });
    throw outputFailed(input.outFile, error);
  } finally {
    await spillFile?.close().catch(() => {});
    await rm(spillPath, { force: true });
  }
}

/**
 * Writes the plan's entries in order. One `git cat-file --batch` reads every regular file in the
 * plan's order; small files are gathered in batches that are compressed ahead of the one being
 * written (by worker threads for trees large enough, and on this thread: CompressionWorkers). A
 * large file is streamed through the spill file when its turn comes.
 */
async function writeZip(
  input: BuildArchiveInput,
  tuning: ArchiveTuning,
  plan: ExportPlan,
  zipFile: FileHandle,
  spillFile: FileHandle,
): Promise<Omit<ArchiveResult, 'file'>> {
  const git: GitContext = gitContextOf(input);
  const folder = archiveFolder(plan);
  const largeFrom = tuning.largeFrom ?? LARGE_FILE;
  const zip = new ZipWriter(zipFile, plan.commit.committerTime, tuning.limits);
  // Entries are added in the zip's order, git's tree order: the byte order of the paths.
  const digest = new ContentDigestBuilder({ ordered: true });
  const counts = { files: 0, symlinks: 0, directories: 0 };
  const regular = plan.entries.filter((entry) => isRegularKind(entry.kind));
  const smallBytes = regular.reduce((sum, entry) => (entry.size < largeFrom ? sum + entry.size : sum), 0);
  const workers = new CompressionWorkers(
    input.concurrency ?? (smallBytes >= WORKERS_FROM ? availableParallelism() - 1 : 0),
  );
  const reader = regular.length > 0 ? new CatFileBatch(git, { packLimits: true }) : undefined;
  let unread = regular.length;
  /** Its git stops once the last file is read: one process less for the rest of the zip. */
  const fileRead = async () => {
    unread -= 1;
    if (unread === 0) await reader?.close();
  };
  let expander: SubstExpander | undefined;
  const expand = () => (expander ??= new SubstExpander(git, plan.commit.commit));
  const nameOf = (entry: ExportEntry) =>
    Buffer.from(`${folder}${entry.path}${entry.kind === 'directory' ? '/' : ''}`, 'utf8');

  /**
   * Entries waiting to be written, oldest first: directories, symlinks and small files read
   * ahead of the one being written. A small file's `ready` is set once its batch is sent to be
   * compressed; `batch` holds the files of the batch being filled.
   */
  const ahead: Array<{ entry: ExportEntry; ready?: Promise<CompressedFile> }> = [];
  let aheadBytes = 0;
  let batch: Array<{ file: (typeof ahead)[number]; content: Buffer }> = [];
  let batchBytes = 0;
  const sendBatch = () => {
    const done = workers.compress(batch.map((item) => item.content));
    batch.forEach((item, i) => {
      item.file.ready = done.then((files) => files[i]!);
      // A failure surfaces when the oldest file waiting for it is written.
      item.file.ready.catch(() => {});
    });
    batch = [];
    batchBytes = 0;
  };
  const writeOldest = async () => {
    const oldest = ahead.shift()!;
    const { entry } = oldest;
    if (entry.kind === 'directory') {
      await zip.addDirectory(nameOf(entry));
      counts.directories += 1;
    } else if (entry.kind === 'symlink') {
      const target = plan.symlinkTargets.get(entry.path)!;
      await zip.addEntry(nameOf(entry), 'symlink', {
        method: METHOD_STORE,
        data: target,
        crc: crc32(target),
        size: target.length,
      });
      digest.add(entry.path, 'symlink', createHash('sha256').update(target).digest());
      counts.symlinks += 1;
    } else {
      if (oldest.ready === undefined) sendBatch();
      const file = await oldest.ready!;
      aheadBytes -= entry.size;
      await zip.addEntry(nameOf(entry), entry.kind, file);
      digest.add(entry.path, entry.kind, file.sha256);
      counts.files += 1;
    }
  };
  const writeAhead = async () => {
    while (ahead.length > 0) await writeOldest();
  };

  try {
    reader?.request(regular.map((entry) => entry.oid));
    await zip.addDirectory(Buffer.from(folder, 'utf8'));
    for (const entry of plan.entries) {
      if (!isRegularKind(entry.kind)) {
        ahead.push({ entry });
        continue;
      }
      const { size } = await reader!.nextOf(entry.oid);
      let content: Buffer | undefined;
      if (entry.conversion || size < largeFrom) {
        content = await convertContent(entry, await reader!.content(size), expand);
      }
      if (content && content.length < largeFrom) {
        await fileRead();
        const file: (typeof ahead)[number] = { entry };
        ahead.push(file);
        aheadBytes += entry.size;
        if (batch.length === 0 && !workers.hasRoom) {
          // The workers have enough queued: this thread compresses the file now. One file at a
          // time, so that it soon reads again and git, writing into a pipe, never waits long.
          file.ready = Promise.resolve(compressFile(content));
        } else {
          batch.push({ file, content });
          batchBytes += content.length;
          if (batch.length >= BATCH_FILES || batchBytes >= BATCH_BYTES) sendBatch();
        }
        while (ahead.length > AHEAD_FILES || aheadBytes > AHEAD_BYTES) await writeOldest();
        continue;
      }
      // A large file is written when its turn comes, everything before it first.
      await writeAhead();
      const large = await spill(spillFile, content ? piecesOf(content) : reader!.pieces(size, STREAM_CHUNK));
      await fileRead();
      const kind = entry.kind as 'file' | 'executable';
      await zip.addLargeEntry(nameOf(entry), kind, large, spilled(spillFile, large.compressedSize));
      digest.add(entry.path, kind, large.sha256);
      counts.files += 1;
    }
    await writeAhead();
  } finally {
    await reader?.close();
    await workers.close();
  }
  const written = await zip.finish(Buffer.from(plan.commit.commit, 'latin1'));
  return {
    commit: plan.commit.commit,
    sha256: written.sha256,
    bytes: written.bytes,
    contentDigest: digest.digest(),
    folder,
    ...counts,
    zlib: process.versions.zlib ?? 'unknown',
  };
}
