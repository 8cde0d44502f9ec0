import { createHash } from 'node:crypto';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { constants, crc32, createDeflateRaw, type DeflateRaw, deflateRawSync } from 'node:zlib';

/**
 * Compression of small files, the one piece of work that runs on several cores: on the calling
 * thread for small trees, and in worker threads running this module for the others. This module
 * imports nothing but Node's own modules, so that a worker can load it as it is, compiled (dist)
 * or as TypeScript (Node strips the types, as under the tests).
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

/**
 * What a worker is sent: a batch of files, numbered so that the answer finds its batch, one after
 * the other in one buffer (one buffer handed over per message, not one per file).
 */
export interface CompressRequest {
  id: number;
  bytes: Uint8Array;
  sizes: number[];
}

/** The batch compressed: each file's stored bytes one after the other in `data`, its SHA-256 in `sha256s`. */
export interface CompressAnswer {
  id: number;
  data: Uint8Array;
  methods: Array<0 | 8>;
  lengths: number[];
  crcs: number[];
  sizes: number[];
  sha256s: Uint8Array;
}

/**
 * Deflates `content` with `stream`, one zlib stream used again for every file (reset after each):
 * the same bytes as deflateRawSync (the whole input, then Z_FINISH), without allocating zlib's
 * quarter of a megabyte of state per file, which costs time and, in a thread, memory the allocator
 * keeps.
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

/** Like compressFile, deflating with `stream` (deflateWith). */
async function compressWith(stream: DeflateRaw, content: Uint8Array): Promise<CompressedFile> {
  const crc = crc32(content);
  const sha256 = createHash('sha256').update(content).digest();
  const deflated = content.length === 0 ? content : await deflateWith(stream, content);
  return deflated.length < content.length
    ? { method: 8, data: deflated, crc, size: content.length, sha256 }
    : { method: 0, data: content, crc, size: content.length, sha256 };
}

/** Compresses a batch of files given one after the other in `bytes`, with one zlib stream. */
export async function compressBatch(
  stream: DeflateRaw,
  { id, bytes, sizes }: CompressRequest,
): Promise<CompressAnswer> {
  const files: CompressedFile[] = [];
  let at = 0;
  for (const size of sizes) {
    files.push(await compressWith(stream, bytes.subarray(at, at + size)));
    at += size;
  }
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
    sizes,
    sha256s,
  };
}

/** The files of an answer, their bytes as views of its buffers. */
export function filesOf(answer: CompressAnswer): CompressedFile[] {
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

/** Marks a worker started for this module (workerData), so that importing it elsewhere starts nothing. */
export const WORKER_MARK = 'phpublish-compress-worker';

if (!isMainThread && parentPort && workerData === WORKER_MARK) {
  const port = parentPort;
  const stream = createDeflateRaw({ ...DEFLATE_OPTIONS, chunkSize: 64 * 1024 });
  // One batch after the other: the stream deflates one file at a time.
  let queue = Promise.resolve();
  port.on('message', (request: CompressRequest) => {
    queue = queue.then(async () => {
      const answer = await compressBatch(stream, request);
      port.postMessage(answer, [answer.data.buffer as ArrayBuffer, answer.sha256s.buffer as ArrayBuffer]);
    });
  });
}
