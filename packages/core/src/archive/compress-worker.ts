import { createHash } from 'node:crypto';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Compression of small files, the one piece of work that runs on several cores: the calling
 * thread compresses, and for large trees worker threads running this module compress batches
 * beside it. This module imports Node's modules only, so a worker loads it as it is (compiled, or
 * its TypeScript source under the tests).
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

/** Deflates a file unless that does not make it smaller (an empty file is stored). */
export function compressFile(content: Uint8Array): CompressedFile {
  const crc = crc32(content);
  const sha256 = createHash('sha256').update(content).digest();
  const deflated = content.length === 0 ? content : deflateRawSync(content, DEFLATE_OPTIONS);
  return deflated.length < content.length
    ? { method: 8, data: deflated, crc, size: content.length, sha256 }
    : { method: 0, data: content, crc, size: content.length, sha256 };
}

export const WORKER_MARK = 'phpublish-compress-worker';

/**
 * What a worker is sent: files one after the other in `data` (its first `lengths` sum of bytes),
 * numbered so that the answer finds its batch.
 */
export interface CompressRequest {
  id: number;
  data: Uint8Array;
  lengths: number[];
}

/**
 * A batch compressed: each file's stored bytes one after the other in `stored` (one buffer handed
 * over per batch, not one per file), its SHA-256 in `sha256s`; the request's `data`, handed back
 * to be filled again.
 */
export interface CompressedBatch {
  id: number;
  data: Uint8Array;
  stored: Uint8Array;
  methods: Array<0 | 8>;
  storedLengths: number[];
  crcs: number[];
  sha256s: Uint8Array;
}

/** Compresses the files of a request (what a worker does with it). */
export function compressBatch(request: CompressRequest): CompressedBatch {
  let at = 0;
  const files = request.lengths.map((length) => {
    const file = compressFile(request.data.subarray(at, at + length));
    at += length;
    return file;
  });
  const stored = new Uint8Array(files.reduce((sum, file) => sum + file.data.length, 0));
  const sha256s = new Uint8Array(32 * files.length);
  let offset = 0;
  files.forEach((file, i) => {
    stored.set(file.data, offset);
    offset += file.data.length;
    sha256s.set(file.sha256, 32 * i);
  });
  return {
    id: request.id,
    data: request.data,
    stored,
    methods: files.map((file) => file.method),
    storedLengths: files.map((file) => file.data.length),
    crcs: files.map((file) => file.crc),
    sha256s,
  };
}

/** The files of an answer (sizes from the request), their bytes as views of its buffers. */
export function filesOf(answer: CompressedBatch, sizes: readonly number[]): CompressedFile[] {
  let at = 0;
  return sizes.map((size, i) => {
    const data = answer.stored.subarray(at, at + answer.storedLengths[i]!);
    at += answer.storedLengths[i]!;
    return {
      method: answer.methods[i]!,
      data,
      crc: answer.crcs[i]!,
      size,
      sha256: answer.sha256s.subarray(32 * i, 32 * i + 32),
    };
  });
}

/** The worker: compresses each batch as it arrives and hands its buffers back. */
function serve(port: NonNullable<typeof parentPort>): void {
  port.on('message', (request: CompressRequest | 'close') => {
    if (request === 'close') {
      port.close();
      return;
    }
    const answer = compressBatch(request);
    port.postMessage(answer, [answer.data.buffer, answer.stored.buffer, answer.sha256s.buffer] as ArrayBuffer[]);
  });
}

// Only in a worker started for this module: importing it elsewhere (the calling thread, or a
// thread of someone else's, such as a test runner's) starts nothing.
if (!isMainThread && parentPort && workerData === WORKER_MARK) serve(parentPort);
