import { Worker } from 'node:worker_threads';
import type { CompressAnswer, CompressedFile, CompressRequest } from './compress-worker.js';
import { filesOf, WORKER_MARK } from './compress-worker.js';

/**
 * The worker module: compiled next to this one in dist; under the tests this module runs from its
 * TypeScript source, and Node loads the worker's source as it is (it imports only Node's modules).
 */
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './compress-worker.ts' : './compress-worker.js',
  import.meta.url,
);

/**
 * Worker threads that compress batches of small files (compressBatch), each batch to the next
 * worker in turn. Started only for trees large enough to be worth it.
 */
export class CompressionWorkers {
  readonly #workers: Worker[];
  readonly #waiting = new Map<number, { resolve(files: CompressedFile[]): void; reject(error: unknown): void }>();
  #next = 0;
  #failure: unknown;

  constructor(size: number) {
    this.#workers = Array.from({ length: Math.max(1, size) }, () => {
      // Not the flags this process was started with (`--input-type`, `--eval` and such are not the worker's).
      const worker = new Worker(WORKER_URL, { workerData: WORKER_MARK, execArgv: [] });
      worker.on('message', (answer: CompressAnswer) => {
        this.#waiting.get(answer.id)?.resolve(filesOf(answer));
        this.#waiting.delete(answer.id);
      });
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', (code) => this.#fail(new Error(`a compression worker stopped (${code})`)));
      return worker;
    });
  }

  /** The files of a batch compressed, in order. */
  compress(files: readonly Uint8Array[]): Promise<CompressedFile[]> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#next++;
    // One after the other in one buffer of its own, handed over to the worker.
    const bytes = new Uint8Array(files.reduce((sum, file) => sum + file.length, 0));
    let at = 0;
    for (const file of files) {
      bytes.set(file, at);
      at += file.length;
    }
    const request: CompressRequest = { id, bytes, sizes: files.map((file) => file.length) };
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#workers[id % this.#workers.length]!.postMessage(request, [bytes.buffer]);
    });
  }

  async close(): Promise<void> {
    this.#failure ??= new Error('the compression workers are closed');
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }
}
