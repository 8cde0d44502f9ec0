import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { DEFLATE_OPTIONS } from './compression-pool.js';
import { STREAM_CHUNK } from './export-contents.js';
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

/** One lane: its spill file, where that ends, and the deflates waiting their turn. */
interface Lane {
  path: string;
  file: Promise<FileHandle> | undefined;
  end: number;
  queue: Promise<unknown>;
}

/**
 * Deflates large files (those too large for a worker's slot) as soon as they are known, on zlib's
 * thread pool, in lanes that run side by side: each lane deflates its files one after the other
 * into its own spill file (or copies them there as they are, when worthDeflating says so), and the
 * zip copies each file in when its turn comes. So a large file neither holds up the workers nor
 * waits for the files before it to be written, and memory does not grow with its size (the spill
 * files do, by the deflated sizes, until close). The bytes are those of the same file deflated
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
    const index = lane % this.#lanes.length;
    const target = this.#lanes[index]!;
    const done = target.queue.then(() => this.#spill(index, size, chunks));
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
    const buffer = this.#copyBuffer;
    for (let at = 0; at < file.compressedSize; ) {
      const want = Math.min(buffer.length, file.compressedSize - at);
      const { bytesRead } = await handle.read(buffer, 0, want, file.offset + at);
      if (bytesRead === 0) throw new Error('the spill file ended early');
      at += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
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

  async #spill(index: number, size: number, chunks: AsyncIterable<Buffer>): Promise<SpilledFile> {
    this.#signal.throwIfAborted();
    const lane = this.#lanes[index]!;
    const file = await this.#open(lane);
    const offset = lane.end;
    const hash = createHash('sha256');
    let crc = 0;
    let read = 0;
    let written = 0;
    const pieces = chunks[Symbol.asyncIterator]();
    const first = await pieces.next();
    const deflate = !first.done && worthDeflating(first.value);
    async function* tapped() {
      for (let piece = first; !piece.done; piece = await pieces.next()) {
        crc = crc32(piece.value, crc);
        hash.update(piece.value);
        read += piece.value.length;
        yield piece.value;
      }
    }
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        const at = offset + written;
        written += chunk.length;
        writeFully(file, chunk, chunk.length, at).then(() => callback(), callback);
      },
    });
    if (deflate) {
      // Output pieces as large as the input's: fewer round trips to zlib's thread.
      const deflater = createDeflateRaw({ ...DEFLATE_OPTIONS, chunkSize: STREAM_CHUNK });
      await pipeline(Readable.from(tapped()), deflater, sink, { signal: this.#signal });
    } else {
      // Copied as it is, with plain writes: a piece goes to the page cache faster than a round
      // trip to the thread pool would take.
      for await (const piece of tapped()) {
        this.#signal.throwIfAborted();
        for (let done = 0; done < piece.length; ) {
          done += writeSync(file.fd, piece, done, piece.length - done, offset + written + done);
        }
        written += piece.length;
      }
    }
    if (read !== size) throw new Error(`expected ${size} bytes, read ${read}`);
    lane.end = offset + written;
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
}
