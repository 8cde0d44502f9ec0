import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * The fixed compression settings of phpublish zips: raw deflate, zlib level 6 (zlib's and git's
 * default), a 32 KiB window, memLevel 8, the default strategy. Part of what makes the bytes
 * reproducible; changing any of them changes every zip.
 */
export const DEFLATE_OPTIONS = { level: 6, windowBits: 15, memLevel: 8, strategy: 0 } as const;

/** Bytes of file content one slot holds; files up to this size are compressed by the workers. */
export const SLOT_BYTES = 1024 * 1024;

/** What a worker found for one file of a batch. */
export interface CompressedFile {
  crc: number;
  sha256: Buffer;
  /** The raw deflate stream, or undefined when deflate does not make the file smaller (it is stored). */
  deflated: Buffer | undefined;
}

/**
 * The worker's code. Many small files are the common case, and an asynchronous zlib call per file
 * costs more in bookkeeping than compressing a few kilobytes does; so files go to worker threads in
 * batches, which each worker compresses synchronously. Batches travel in shared memory slots,
 * allocated once: nothing per batch is copied between threads or left for the garbage collector,
 * so memory stays flat. Plain JavaScript evaluated in the worker, so that it runs the same from
 * the TypeScript sources (tests) and from the build; `process.getBuiltinModule` works whether the
 * worker evaluates it as CommonJS or, under `--input-type=module`, as an ES module.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const { crc32, deflateRawSync } = process.getBuiltinModule('node:zlib');
const { hash } = process.getBuiltinModule('node:crypto');
const { options, slots } = workerData;
parentPort.on('message', ({ slot, sizes }) => {
  try {
    const input = Buffer.from(slots[slot].input);
    const output = Buffer.from(slots[slot].output);
    const crcs = new Uint32Array(sizes.length);
    const lengths = new Int32Array(sizes.length);
    const shas = new Uint8Array(32 * sizes.length);
    let read = 0;
    let written = 0;
    sizes.forEach((size, i) => {
      const content = input.subarray(read, read + size);
      read += size;
      crcs[i] = crc32(content);
      shas.set(hash('sha256', content, 'buffer'), 32 * i);
      lengths[i] = -1;
      if (size > 0) {
        // An output chunk about the file's size: one allocation instead of zlib's 16 KiB default.
        const chunkSize = Math.min(65536, Math.max(1024, size + 64));
        const deflated = deflateRawSync(content, { ...options, chunkSize });
        if (deflated.length < size) {
          deflated.copy(output, written);
          lengths[i] = deflated.length;
          written += deflated.length;
        }
      }
    });
    parentPort.postMessage({ slot, crcs, lengths, shas }, [crcs.buffer, lengths.buffer, shas.buffer]);
  } catch (error) {
    parentPort.postMessage({ slot, error: String((error && error.stack) || error) });
  }
});
`;

/** One shared buffer pair: the batch's contents in, the deflated streams out (never larger than what went in). */
export interface Slot {
  readonly index: number;
  readonly input: Buffer;
  readonly output: Buffer;
}

interface Reply {
  slot: number;
  crcs?: Uint32Array;
  lengths?: Int32Array;
  shas?: Uint8Array;
  error?: string;
}

interface Job {
  resolve(results: CompressedFile[]): void;
  reject(error: Error): void;
}

/**
 * Worker threads that checksum, hash and deflate batches of files in shared slots, so that every
 * core compresses. The number of slots bounds the memory in flight: the producer waits for a free
 * slot before it reads more.
 */
export class CompressionPool {
  readonly #workers: Array<{ worker: Worker; busy: number; exited: boolean }>;
  readonly #slots: Slot[];
  readonly #free: Slot[];
  readonly #waiting: Array<{ resolve(slot: Slot): void; reject(error: unknown): void }> = [];
  readonly #jobs = new Map<number, Job>();
  #failure: Error | undefined;

  constructor(size = availableParallelism()) {
    const count = Math.max(1, size);
    const shared = Array.from({ length: 2 * count + 1 }, () => ({
      input: new SharedArrayBuffer(SLOT_BYTES),
      output: new SharedArrayBuffer(SLOT_BYTES),
    }));
    this.#slots = shared.map((s, index) => ({ index, input: Buffer.from(s.input), output: Buffer.from(s.output) }));
    this.#free = [...this.#slots];
    this.#workers = Array.from({ length: count }, () => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { options: DEFLATE_OPTIONS, slots: shared },
        // A small young generation: the per-file garbage of zlib is collected early and often.
        resourceLimits: { maxYoungGenerationSizeMb: 2 },
      });
      const entry = { worker, busy: 0, exited: false };
      worker.on('message', (reply: Reply) => {
        entry.busy -= 1;
        this.#settle(reply);
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        entry.exited = true;
        if (code !== 0) this.fail(new Error(`a compression worker stopped (exit code ${code})`));
      });
      return entry;
    });
  }

  /** A free slot to fill; waits while all are in use. */
  acquire(): Promise<Slot> {
    if (this.#failure) return Promise.reject(this.#failure);
    const slot = this.#free.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  release(slot: Slot): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter.resolve(slot);
    else this.#free.push(slot);
  }

  /** Compresses the files laid out one after the other at the start of `slot.input`. */
  compress(slot: Slot, sizes: readonly number[]): Promise<CompressedFile[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    const target = this.#workers.reduce((least, w) => (w.busy < least.busy ? w : least));
    target.busy += 1;
    return new Promise<CompressedFile[]>((resolve, reject) => {
      this.#jobs.set(slot.index, { resolve, reject });
      target.worker.postMessage({ slot: slot.index, sizes });
    });
  }

  async close(): Promise<void> {
    // terminate() of a worker that already exited would wait for an 'exit' event that never comes.
    await Promise.all(this.#workers.filter((w) => !w.exited).map(({ worker }) => worker.terminate()));
  }

  #settle(reply: Reply): void {
    const job = this.#jobs.get(reply.slot);
    this.#jobs.delete(reply.slot);
    if (!job) return;
    if (reply.error !== undefined) {
      job.reject(new Error(`compression failed: ${reply.error}`));
      return;
    }
    const slot = this.#slots[reply.slot]!;
    const results: CompressedFile[] = [];
    let offset = 0;
    reply.lengths!.forEach((length, i) => {
      const sha256 = Buffer.from(reply.shas!.buffer, 32 * i, 32);
      if (length < 0) {
        results.push({ crc: reply.crcs![i]!, sha256, deflated: undefined });
      } else {
        results.push({ crc: reply.crcs![i]!, sha256, deflated: slot.output.subarray(offset, offset + length) });
        offset += length;
      }
    });
    job.resolve(results);
  }

  /** Stops the pool after a failure anywhere: pending jobs and whoever waits for a slot get the error. */
  fail(error: unknown): void {
    this.#failure ??= error instanceof Error ? error : new Error(String(error));
    for (const job of this.#jobs.values()) job.reject(this.#failure);
    this.#jobs.clear();
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
  }
}
