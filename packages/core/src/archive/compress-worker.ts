import { createHash } from 'node:crypto';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { constants, crc32, createDeflateRaw, type DeflateRaw, deflateRawSync } from 'node:zlib';
import { CatFileBatch } from '../git/batch.js';
import type { GitContext } from '../git/context.js';

/**
 * Compression of small files, the one piece of work that runs on several cores: on the calling
 * thread for small trees, and in worker threads running this module for the others. A worker
 * reads its files itself, from a `git cat-file --batch` of its own: only the deflated bytes
 * travel between threads.
 */

/**
 * The fixed compression settings of phpublish zips: raw deflate, zlib level 6 (zlib's and git's
 * default), a 32 KiB window, memLevel 8, the default strategy. Part of what makes the bytes
 * reproducible: do not change them without changing the pinned hashes on purpose.
 */
export const DEFLATE_OPTIONS = { level: 6, windowBits: 15, memLevel: 8, strategy: 0 } as const;

/** A file ready for the zip: deflated (method 8) or stored as it is (method 0), with its checksums. */
export interface CompressedFile {
  method: 0 | 8;
  /** The bytes as stored in the zip. */
  data: Uint8Array;
  crc: number;
  size: number;
  sha256: Uint8Array;
}

/** The file as the zip stores it: `deflated` unless that is not smaller than the file. */
function stored(content: Uint8Array, deflated: Uint8Array): CompressedFile {
  const crc = crc32(content);
  const sha256 = createHash('sha256').update(content).digest();
  return deflated.length < content.length
    ? { method: 8, data: deflated, crc, size: content.length, sha256 }
    : { method: 0, data: content, crc, size: content.length, sha256 };
}

/** Deflates a file unless that does not make it smaller (an empty file is stored). */
export function compressFile(content: Uint8Array): CompressedFile {
  return stored(content, content.length === 0 ? content : deflateRawSync(content, DEFLATE_OPTIONS));
}

/** What a worker is started with. */
export interface WorkerSetup {
  /** Marks a worker started for this module, so that importing it elsewhere starts nothing. */
  mark: typeof WORKER_MARK;
  /** Where its git reads the files. */
  git: GitContext;
}

export const WORKER_MARK = 'phpublish-compress-worker';

/** What a worker is sent: a batch of blobs to read and compress, numbered so that the answer finds its batch. */
export interface CompressRequest {
  id: number;
  oids: string[];
}

/**
 * A batch compressed: each file's stored bytes one after the other in `data` (one buffer handed
 * over per batch, not one per file), its SHA-256 in `sha256s`; or why it could not be read.
 */
export interface CompressedBatch {
  id: number;
  data: Uint8Array;
  methods: Array<0 | 8>;
  lengths: number[];
  crcs: number[];
  sizes: number[];
  sha256s: Uint8Array;
}

export type CompressAnswer = CompressedBatch | { id: number; problem: string };

/**
 * Deflates `content` with `stream`, one zlib stream used again for every file (reset after each):
 * the same bytes as deflateRawSync (the whole input, then Z_FINISH), without allocating zlib's
 * quarter of a megabyte of state per file, which in a worker thread grows memory the allocator
 * keeps (measured: about 150 MiB more at the peak on 44,000 files).
 */
async function deflateWith(stream: DeflateRaw, content: Uint8Array): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const onData = (chunk: Buffer) => chunks.push(chunk);
  stream.on('data', onData);
  stream.write(content);
  await new Promise<void>((resolve) => stream.flush(constants.Z_FINISH, () => resolve()));
  stream.off('data', onData);
  stream.reset();
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Reads the batch's blobs from `reader` (which was asked for them already) and compresses them with `stream`. */
async function compressBatch(
  reader: CatFileBatch,
  stream: DeflateRaw,
  oids: readonly string[],
): Promise<CompressedFile[]> {
  const files: CompressedFile[] = [];
  for (const oid of oids) {
    const { size } = await reader.nextOf(oid);
    const content = await reader.content(size);
    files.push(stored(content, content.length === 0 ? content : await deflateWith(stream, content)));
  }
  return files;
}

/** The batch as one answer (its buffers can be handed over). */
function answerOf(id: number, files: readonly CompressedFile[]): CompressedBatch {
  const data = new Uint8Array(files.reduce((sum, file) => sum + file.data.length, 0));
  const sha256s = new Uint8Array(32 * files.length);
  let offset = 0;
  files.forEach((file, i) => {
    data.set(file.data, offset);
    offset += file.data.length;
    sha256s.set(file.sha256, 32 * i);
  });
  return {
    id,
    data,
    methods: files.map((file) => file.method),
    lengths: files.map((file) => file.data.length),
    crcs: files.map((file) => file.crc),
    sizes: files.map((file) => file.size),
    sha256s,
  };
}

/** The files of an answer, their bytes as views of its buffers. */
export function filesOf(answer: CompressedBatch): CompressedFile[] {
  let at = 0;
  return answer.sizes.map((size, i) => {
    const data = answer.data.subarray(at, at + answer.lengths[i]!);
    at += answer.lengths[i]!;
    return {
      method: answer.methods[i]!,
      data,
      crc: answer.crcs[i]!,
      size,
      sha256: answer.sha256s.subarray(32 * i, 32 * i + 32),
    };
  });
}

/**
 * The worker: reads and compresses batches one after the other; a batch's blobs are asked of git
 * as soon as it arrives, so git reads ahead while the one before is deflated. A failure is sent
 * back as a problem (the calling thread turns it into a coded error); `close` ends the worker.
 */
function serve(port: NonNullable<typeof parentPort>, setup: WorkerSetup): void {
  // A plain Error: the calling thread makes the coded error of the problem.
  const reader = new CatFileBatch(setup.git, { packLimits: true, failure: (problem) => new Error(problem) });
  // Output pieces as large as a batch's files usually are: fewer round trips to zlib's thread.
  const stream = createDeflateRaw({ ...DEFLATE_OPTIONS, chunkSize: 64 * 1024 });
  let queue = Promise.resolve();
  port.on('message', (request: CompressRequest | 'close') => {
    if (request === 'close') {
      queue = queue.then(() => reader.close()).then(() => port.close());
      return;
    }
    reader.request(request.oids);
    queue = queue.then(async () => {
      try {
        const answer = answerOf(request.id, await compressBatch(reader, stream, request.oids));
        port.postMessage(answer, [answer.data.buffer, answer.sha256s.buffer] as ArrayBuffer[]);
      } catch (error) {
        port.postMessage({ id: request.id, problem: error instanceof Error ? error.message : String(error) });
      }
    });
  });
}

if (!isMainThread && parentPort && (workerData as WorkerSetup | undefined)?.mark === WORKER_MARK) {
  serve(parentPort, workerData as WorkerSetup);
}
