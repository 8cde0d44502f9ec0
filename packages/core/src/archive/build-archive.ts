import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createDeflateRaw } from 'node:zlib';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { type CompressedFile, CompressionPool, DEFLATE_OPTIONS } from './compression-pool.js';
import { ContentDigestBuilder } from './content-digest.js';
import { DEFAULT_STREAM_FROM, exportContents } from './export-contents.js';
import { type ExportEntry, type ExportOptions, type ExportPlan, planExport } from './export-plan.js';
import { METHOD_DEFLATE, METHOD_STORE } from './zip-format.js';
import { type ZipLimits, ZipWriter } from './zip-writer.js';

export interface BuildArchiveInput extends ExportOptions {
  /** Where to write the zip; it is written to a temporary file beside it, then renamed. */
  outFile: string;
  /** Worker threads that compress; by default one per core. Does not change the bytes. */
  concurrency?: number;
  /** For tests: stream files from this size on, and use zip64 fields from this value on. */
  tuning?: { streamFrom?: number; limits?: ZipLimits };
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

/** Raw bytes compressed per batch, and in flight before the producer waits for the writer. */
const BATCH_BYTES = 512 * 1024;
const BATCH_ENTRIES = 128;
const IN_FLIGHT_BYTES = 16 * 1024 * 1024;

/**
 * The zip's single top-level folder, named like GitHub's zipballs (`<vendor>-<name>-<short sha>/`):
 * Composer strips a zip's single top-level folder when it installs, so with one the installed files
 * are exactly the package's, whatever its own layout.
 */
export function archiveFolder(plan: ExportPlan): string {
  const short = plan.commit.commit.slice(0, 7);
  return plan.packageName ? `${plan.packageName.replace('/', '-')}-${short}/` : `${short}/`;
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Keeps writes in entry order while their compression runs ahead, with at most IN_FLIGHT_BYTES of
 * raw content waiting: memory stays flat however large the package is.
 */
class OrderedWrites {
  #chain: Promise<void> = Promise.resolve();
  readonly #inFlight: Array<{ bytes: number; done: Promise<void> }> = [];
  #bytes = 0;

  async add(bytes: number, write: () => Promise<void>): Promise<void> {
    while (this.#bytes + bytes > IN_FLIGHT_BYTES && this.#inFlight.length > 0) {
      const oldest = this.#inFlight.shift()!;
      await oldest.done;
      this.#bytes -= oldest.bytes;
    }
    const done = this.#chain.then(write);
    this.#chain = done;
    // A failure surfaces at the next wait or at drain(); until then it must not count as unhandled.
    done.catch(() => {});
    this.#inFlight.push({ bytes, done });
    this.#bytes += bytes;
  }

  async drain(): Promise<void> {
    await this.#chain;
    this.#inFlight.length = 0;
    this.#bytes = 0;
  }
}

interface Pending {
  entry: ExportEntry;
  content?: Buffer;
}

/**
 * Builds the reproducible zip of a commit: `git archive`'s file set and contents in git's order
 * under one top-level folder, with the commit's time, normalised modes and fixed deflate settings,
 * streamed to disk with bounded memory while every core compresses. Returns its SHA-256 and its
 * content-tree digest.
 */
export async function buildArchive(input: BuildArchiveInput): Promise<ArchiveResult> {
  const git = { cwd: input.cwd, ...(input.env ? { env: input.env } : {}) };
  const plan = await planExport(input);
  const folder = archiveFolder(plan);
  const temporary = join(dirname(input.outFile), `.${basename(input.outFile)}.${randomBytes(6).toString('hex')}.tmp`);
  let file: FileHandle;
  try {
    file = await open(temporary, 'wx');
  } catch (error) {
    throw new PhpublishError('ARCHIVE_OUTPUT_FAILED', { file: input.outFile, problem: describe(error) }, { cause: error });
  }
  const pool = new CompressionPool(input.concurrency);
  const digest = new ContentDigestBuilder();
  const counts = { files: 0, symlinks: 0, directories: 0 };
  let bytes: number;
  try {
    const zip = new ZipWriter(file, plan.commit.committerTime, input.tuning?.limits);
    const nameOf = (entry: ExportEntry) =>
      Buffer.from(`${folder}${entry.path}${entry.kind === 'directory' ? '/' : ''}`, 'utf8');
    const writeEntry = async ({ entry, content }: Pending, compressed: CompressedFile | undefined) => {
      if (entry.kind === 'directory') {
        await zip.addDirectory(nameOf(entry));
        counts.directories += 1;
        return;
      }
      const data = content!;
      const result = compressed ?? { crc: crc32(data), sha256: sha256(data), deflated: null };
      await zip.addEntry(nameOf(entry), entry.kind, {
        method: result.deflated ? METHOD_DEFLATE : METHOD_STORE,
        data: result.deflated ?? data,
        crc: result.crc,
        size: data.length,
      });
      digest.add(entry.path, entry.kind, result.sha256);
      if (entry.kind === 'symlink') counts.symlinks += 1;
      else counts.files += 1;
    };

    const writes = new OrderedWrites();
    let batch: Pending[] = [];
    let batchBytes = 0;
    const dispatch = async () => {
      if (batch.length === 0) return;
      const taken = batch;
      const raw = batchBytes;
      batch = [];
      batchBytes = 0;
      // Symlinks are stored, not deflated: only regular files go to the workers.
      const files = taken.filter((p) => p.entry.kind === 'file' || p.entry.kind === 'executable');
      const compressed = files.length > 0 ? pool.compress(files.map((p) => p.content!)) : Promise.resolve([]);
      compressed.catch(() => {});
      await writes.add(raw, async () => {
        const results = new Map(files.map((p, i) => [p, i]));
        const done = await compressed;
        for (const pending of taken) {
          const index = results.get(pending);
          await writeEntry(pending, index === undefined ? undefined : done[index]);
        }
      });
    };

    await zip.addDirectory(Buffer.from(folder, 'utf8'));
    const streamFrom = input.tuning?.streamFrom ?? DEFAULT_STREAM_FROM;
    for await (const item of exportContents(plan, git, { streamFrom })) {
      if (item.kind === 'chunks') {
        // A large file: everything before it is written first, then it streams through one deflate.
        await dispatch();
        await writes.drain();
        const kind = item.entry.kind as 'file' | 'executable';
        const { sink, finish } = await zip.startStreamedEntry(nameOf(item.entry), kind, item.entry.size);
        const hash = createHash('sha256');
        let crc = 0;
        const tapped = async function* () {
          for await (const chunk of item.chunks) {
            crc = crc32(chunk, crc);
            hash.update(chunk);
            yield chunk;
          }
        };
        await pipeline(Readable.from(tapped()), createDeflateRaw(DEFLATE_OPTIONS), sink);
        await finish(crc);
        digest.add(item.entry.path, kind, hash.digest());
        counts.files += 1;
        continue;
      }
      const content = item.kind === 'whole' ? item.content : undefined;
      batch.push(content ? { entry: item.entry, content } : { entry: item.entry });
      batchBytes += content?.length ?? 0;
      if (batch.length >= BATCH_ENTRIES || batchBytes >= BATCH_BYTES) await dispatch();
    }
    await dispatch();
    await writes.drain();
    bytes = await zip.finish(Buffer.from(plan.commit.commit, 'latin1'));
    await file.close();
  } catch (error) {
    await file.close().catch(() => {});
    await rm(temporary, { force: true });
    if (isPhpublishError(error)) throw error;
    throw new PhpublishError('ARCHIVE_OUTPUT_FAILED', { file: input.outFile, problem: describe(error) }, { cause: error });
  } finally {
    await pool.close();
  }
  try {
    const sha256 = await sha256OfFile(temporary);
    await rename(temporary, input.outFile);
    return {
      commit: plan.commit.commit,
      file: input.outFile,
      sha256,
      bytes,
      contentDigest: digest.digest(),
      folder,
      ...counts,
      zlib: process.versions.zlib ?? 'unknown',
    };
  } catch (error) {
    await rm(temporary, { force: true });
    throw new PhpublishError('ARCHIVE_OUTPUT_FAILED', { file: input.outFile, problem: describe(error) }, { cause: error });
  }
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

