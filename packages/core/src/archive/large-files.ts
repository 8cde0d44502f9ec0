import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { PhpublishError } from '../errors/index.js';
import { runGitIntoFile } from '../git/run.js';
import { DEFLATE_OPTIONS } from './compression-pool.js';
import { STREAM_CHUNK } from './export-contents.js';
import { CAT_FILE_BATCH, type GitContext } from './git-objects.js';
import { METHOD_DEFLATE, METHOD_STORE } from './zip-format.js';
import { writeFully } from './zip-writer.js';

/** A large file in a spill file: which one, where its bytes for the zip lie, and what the zip records of it. */
export interface SpilledFile {
  /** Deflated, or stored as it is (see worthDeflating). */
  method: typeof METHOD_DEFLATE | typeof METHOD_STORE;
  size: number;
  crc: number;
  sha256: Buffer;
  /** The lane (and its spill file) that wrote it; where its bytes start there, and how many. */
  lane: number;
  offset: number;
  compressedSize: number;
}

/** How much of a large file decides whether it is deflated. */
export const SAMPLE_BYTES = 64 * 1024;

/**
 * Whether a large file is deflated: when its first SAMPLE_BYTES deflate to at most 63/64 of their
 * size. Otherwise it is stored as it is: compressed media, archives and random bytes would cost
 * deflate's full time for nothing (`git archive` deflates them, then stores them when the result
 * is not smaller). A function of the bytes alone, so the same file is always treated the same way.
 */
export function worthDeflating(first: Buffer): boolean {
  const sample = first.subarray(0, SAMPLE_BYTES);
  if (sample.length === 0) return false;
  // A millisecond or two here: less than a round trip to zlib's threads costs when every core is busy.
  return deflateRawSync(sample, DEFLATE_OPTIONS).length * 64 <= sample.length * 63;
}

/** Pieces a spill file is copied into the zip in. */
const COPY_PIECE = 1024 * 1024;

/** A blob git exports as it is stored: its object id and the size ls-tree gave. */
export interface LargeBlob {
  oid: string;
  size: number;
}

/** One lane: its spill file, where that ends, the work waiting its turn, and the buffer files are read back through. */
interface Lane {
  path: string;
  file: Promise<FileHandle> | undefined;
  end: number;
  queue: Promise<unknown>;
  buffer?: Buffer;
}

/**
 * Deflates large files (those too large for a worker's slot) as soon as they are known, on zlib's
 * thread pool, in lanes that run side by side: each lane deflates its files one after the other
 * into its own spill file (or copies them there as they are, when worthDeflating says so), and the
 * zip copies each file in when its turn comes. So a large file neither holds up the workers nor
 * waits for the files before it to be written, and memory grows neither with its size nor with the
 * number of large files (the spill files do, by the files' sizes as git gave them plus the deflated
 * sizes, until close). The bytes are those of the same file deflated
 * where it stands in the zip: the same settings and the same input pieces (STREAM_CHUNK each), and
 * a deflate stream does not depend on how its output is cut.
 */
export class SpillFiles {
  readonly #lanes: Lane[];
  readonly #signal: AbortSignal;
  #copyBuffer: Buffer | undefined;

  /** `path(lane)` names each lane's spill file; it is made when the lane first needs it. */
  constructor(path: (lane: number) => string, lanes: number, signal: AbortSignal) {
    this.#lanes = Array.from({ length: Math.max(1, lanes) }, (_, lane) => ({
      path: path(lane),
      file: undefined,
      end: 0,
      queue: Promise.resolve(),
    }));
    this.#signal = signal;
  }

  get lanes(): number {
    return this.#lanes.length;
  }

  /**
   * Deflates (or copies) a file of `size` bytes, given in `chunks` (STREAM_CHUNK bytes each but the
   * last), into lane `lane`'s spill file after the files added to it before.
   */
  add(lane: number, size: number, chunks: AsyncIterable<Buffer>): Promise<SpilledFile> {
    return this.#enqueue(lane, (index) => this.#spill(index, size, chunks));
  }

  /**
   * Files that git exports as they are stored, taken by lane `lane` from its own
   * `git cat-file --batch`, which appends its answers straight to the spill file: their bytes never
   * pass through a pipe to this process. (Each piece read from a pipe is a new buffer left to the
   * garbage collector, and on this thread, which allocates little else meanwhile, those would pile
   * up until it runs: memory would grow with the large files' total size.) A promise per file, in
   * order, each settled once that file is ready; when one fails, all that are left fail with it.
   */
  addFromGit(lane: number, git: GitContext, blobs: readonly LargeBlob[]): Promise<SpilledFile>[] {
    const settlers: Settler[] = [];
    const results = blobs.map(
      (_, i) => new Promise<SpilledFile>((resolve, reject) => (settlers[i] = { resolve, reject })),
    );
    // Whoever writes a file waits for it; after an earlier failure nobody does.
    for (const result of results) result.catch(() => {});
    // A settled promise ignores the later rejection.
    this.#enqueue(lane, (index) => this.#fromGit(index, git, blobs, settlers)).catch((error: unknown) => {
      for (const settler of settlers) settler.reject(error);
    });
    return results;
  }

  /** Runs `work` on lane `lane` once the work queued there before it has ended. */
  #enqueue<T>(lane: number, work: (index: number) => Promise<T>): Promise<T> {
    const index = lane % this.#lanes.length;
    const target = this.#lanes[index]!;
    const done = target.queue.then(() => work(index));
    target.queue = done.catch(() => {});
    return done;
  }

  /**
   * The bytes of `file` for the zip, in pieces read through one buffer shared by every read (one
   * file is copied at a time: a piece's memory is reused once the next is asked for).
   */
  async *read(file: SpilledFile): AsyncGenerator<Buffer> {
    const handle = await this.#open(this.#lanes[file.lane]!);
    this.#copyBuffer ??= Buffer.allocUnsafe(COPY_PIECE);
    yield* piecesAt(handle, this.#copyBuffer, file.offset, file.compressedSize);
  }

  /** Closes and removes the spill files that were made, once every file added has been written. */
  async close(): Promise<void> {
    for (const lane of this.#lanes) {
      await lane.queue;
      if (!lane.file) continue;
      const handle = await lane.file.catch(() => undefined);
      await handle?.close().catch(() => {});
      await rm(lane.path, { force: true });
    }
  }

  #open(lane: Lane): Promise<FileHandle> {
    lane.file ??= open(lane.path, 'wx+');
    return lane.file;
  }

  async #spill(index: number, size: number, chunks: AsyncIterable<Buffer>, rawAt?: number): Promise<SpilledFile> {
    this.#signal.throwIfAborted();
    const lane = this.#lanes[index]!;
    const file = await this.#open(lane);
    const hash = createHash('sha256');
    let crc = 0;
    let read = 0;
    let written = 0;
    const take = (piece: Buffer) => {
      crc = crc32(piece, crc);
      hash.update(piece);
      read += piece.length;
    };
    const pieces = chunks[Symbol.asyncIterator]();
    const first: IteratorResult<Buffer> = await pieces.next();
    const deflate = !first.done && worthDeflating(first.value);
    // A file stored as it is stays where git put it; anything else goes to the end of the spill file.
    const offset = !deflate && rawAt !== undefined ? rawAt : lane.end;
    if (deflate) {
      // Output pieces as large as the input's: fewer round trips to zlib's thread.
      const deflater = createDeflateRaw({ ...DEFLATE_OPTIONS, chunkSize: STREAM_CHUNK });
      const sink = new Writable({
        write: (chunk: Buffer, _encoding, callback) => {
          const at = offset + written;
          written += chunk.length;
          writeFully(file, chunk, chunk.length, at).then(() => callback(), callback);
        },
      });
      const output = pipeline(deflater, sink, { signal: this.#signal });
      try {
        for (let piece: IteratorResult<Buffer> = first; !piece.done; piece = await pieces.next()) {
          take(piece.value);
          // The next piece is asked for only once zlib has taken this one in: its memory may be reused.
          await Promise.race([
            output,
            new Promise<void>((resolve, reject) =>
              deflater.write(piece.value, (error) => (error ? reject(error) : resolve())),
            ),
          ]);
        }
        deflater.end();
      } catch (error) {
        deflater.destroy(error as Error);
      }
      await output;
    } else if (rawAt === undefined) {
      // Copied as it is, with plain writes: a piece goes to the page cache faster than a round
      // trip to the thread pool would take.
      for (let piece: IteratorResult<Buffer> = first; !piece.done; piece = await pieces.next()) {
        this.#signal.throwIfAborted();
        take(piece.value);
        for (let done = 0; done < piece.value.length; ) {
          done += writeSync(file.fd, piece.value, done, piece.value.length - done, offset + written + done);
        }
        written += piece.value.length;
      }
    } else {
      for (let piece: IteratorResult<Buffer> = first; !piece.done; piece = await pieces.next()) take(piece.value);
      written = read;
    }
    if (read !== size) throw new Error(`expected ${size} bytes, read ${read}`);
    if (offset === lane.end) lane.end = offset + written;
    return {
      method: deflate ? METHOD_DEFLATE : METHOD_STORE,
      size,
      crc,
      sha256: hash.digest(),
      lane: index,
      offset,
      compressedSize: written,
    };
  }

  /**
   * Lane `index`'s files from git: its `git cat-file --batch` appends every answer to the spill
   * file, and once git has ended and every answer is checked, each file is checksummed, hashed and
   * deflated (or left where it is) in turn, read back through the lane's buffer.
   */
  async #fromGit(index: number, git: GitContext, blobs: readonly LargeBlob[], settlers: Settler[]): Promise<void> {
    this.#signal.throwIfAborted();
    const lane = this.#lanes[index]!;
    const file = await this.#open(lane);
    const start = lane.end;
    const { code, stderr } = await catFileInto(lane.path, git, blobs, this.#signal);
    this.#signal.throwIfAborted();
    const end = (await file.stat()).size;
    lane.end = end;
    // "<oid> blob <size>\n", the bytes, "\n": where each file's bytes start.
    const starts: number[] = [];
    let at = start;
    for (const { oid, size } of blobs) {
      const header = Buffer.from(`${oid} blob ${size}\n`, 'latin1');
      const answer = await readAt(file, Math.min(header.length, end - at), at);
      const separator = at + header.length + size;
      if (!answer.equals(header) || separator >= end || (await readAt(file, 1, separator))[0] !== 0x0a) {
        const line = answer.toString('latin1').split('\n')[0]!;
        throw new PhpublishError('ARCHIVE_GIT_FAILED', {
          command: 'cat-file --batch',
          problem:
            line === `${oid} missing`
              ? `object ${oid} is missing`
              : `object ${oid} could not be read${stderr ? `: ${stderr}` : line ? ` (git answered "${line}")` : ''}`,
        });
      }
      starts.push(at + header.length);
      at = separator + 1;
    }
    if (code !== 0 || at !== end) {
      throw new PhpublishError('ARCHIVE_GIT_FAILED', {
        command: 'cat-file --batch',
        problem: stderr || (code !== 0 ? `git ended with code ${code}` : 'unexpected output'),
      });
    }
    lane.buffer ??= Buffer.allocUnsafe(STREAM_CHUNK);
    for (let i = 0; i < blobs.length; i++) {
      const size = blobs[i]!.size;
      settlers[i]!.resolve(await this.#spill(index, size, piecesAt(file, lane.buffer, starts[i]!, size), starts[i]));
    }
  }
}

/** A file's settlement: resolved when it is in its spill file. */
interface Settler {
  resolve(file: SpilledFile): void;
  reject(error: unknown): void;
}

/**
 * Runs `git cat-file --batch` for `blobs` with its standard output appended to the file at `path`
 * (its own open file, so that its writes and this process's do not share an offset). Stopped when
 * `signal` aborts.
 */
async function catFileInto(
  path: string,
  git: GitContext,
  blobs: readonly LargeBlob[],
  signal: AbortSignal,
): Promise<{ code: number | null; stderr: string }> {
  const { exitCode, stderr } = await runGitIntoFile(
    CAT_FILE_BATCH,
    { ...git, input: blobs.map((blob) => `${blob.oid}\n`).join(''), signal },
    await open(path, 'a'),
  );
  return { code: exitCode, stderr: stderr.trim() };
}

/** `length` bytes of `file` from `position` (fewer only at its end). */
function readAt(file: FileHandle, length: number, position: number): Promise<Buffer> {
  return readInto(file, Buffer.allocUnsafe(Math.max(0, length)), length, position);
}

/**
 * `size` bytes of `file` from `offset`, in pieces of `buffer.length` bytes (the last one shorter),
 * each read into `buffer`: a piece's memory is reused once the next is asked for.
 */
async function* piecesAt(file: FileHandle, buffer: Buffer, offset: number, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < size; ) {
    const want = Math.min(buffer.length, size - at);
    const piece = await readInto(file, buffer, want, offset + at);
    if (piece.length < want) throw new Error('the spill file ended early');
    at += want;
    yield piece;
  }
}

async function readInto(file: FileHandle, buffer: Buffer, length: number, position: number): Promise<Buffer> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await file.read(buffer, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buffer.subarray(0, got);
}
