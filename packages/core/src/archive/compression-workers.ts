import { Worker } from 'node:worker_threads';
import {
  type CompressedBatch,
  type CompressedFile,
  type CompressRequest,
  compressFile,
  filesOf,
  WORKER_MARK,
} from './compress-worker.js';

/** Running from the TypeScript sources (the tests) rather than from the compiled module. */
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './compress-worker.ts' : './compress-worker.js',
  import.meta.url,
);
/**
 * Batches a worker may have waiting: enough that it never runs dry while this thread reads and
 * writes; beyond it, this thread compresses the batch itself.
 */
const QUEUE = 3;

interface CompressionWorker {
  worker: Worker;
  exited: Promise<unknown>;
  /** Batches sent and not answered. */
  queued: number;
}

/**
 * Compresses batches of small files on worker threads (compress-worker.ts) and on this thread:
 * a batch goes to a worker with room in its queue, or else is compressed here and now, so every
 * core is busy and this thread never waits for a worker while it has work. With no workers
 * (`size` 0), everything is compressed here. The bytes are the same either way.
 */
export class CompressionWorkers {
  readonly #workers: CompressionWorker[];
  readonly #waiting = new Map<
    number,
    { sizes: number[]; resolve(files: CompressedFile[]): void; reject(error: unknown): void }
  >();
  /** Request buffers handed back by the workers, to be filled again. */
  readonly #spare: Uint8Array[] = [];
  #next = 0;
  #failure: unknown;

  constructor(size: number) {
    this.#workers = Array.from({ length: Math.max(0, size) }, () => {
      const worker = new Worker(WORKER_URL, {
        workerData: WORKER_MARK,
        // Not this process's flags: `--input-type`, `--eval` and such would stop the worker.
        execArgv: [],
        // Its JavaScript makes little that lives (the files' bytes are buffers): a small young
        // generation keeps its memory small (measured: about 10 MiB less at the peak on 44,000 files).
        resourceLimits: { maxYoungGenerationSizeMb: 4 },
      });
      const entry: CompressionWorker = {
        worker,
        exited: new Promise((resolve) => worker.once('exit', resolve)),
        queued: 0,
      };
      worker.on('message', (answer: CompressedBatch) => {
        entry.queued -= 1;
        this.#spare.push(answer.data);
        const waiting = this.#waiting.get(answer.id);
        this.#waiting.delete(answer.id);
        waiting?.resolve(filesOf(answer, waiting.sizes));
      });
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', (code) => this.#fail(new Error(`a compression worker stopped (${code})`)));
      return entry;
    });
  }

  /** Whether a worker has room in its queue for another batch. */
  get hasRoom(): boolean {
    return this.#failure === undefined && this.#workers.some((entry) => entry.queued < QUEUE);
  }

  /**
   * `files` compressed, in order: by a worker with room, or else here and now. Their memory can be
   * reused once this returns.
   */
  compress(files: readonly Uint8Array[]): Promise<CompressedFile[]> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const free = this.#workers.find((entry) => entry.queued < QUEUE);
    if (!free) return Promise.resolve(files.map(compressFile));
    const sizes = files.map((file) => file.length);
    const total = sizes.reduce((sum, size) => sum + size, 0);
    let data = this.#spare.pop();
    if (!data || data.length < total) data = new Uint8Array(total);
    let at = 0;
    for (const file of files) {
      data.set(file, at);
      at += file.length;
    }
    const id = this.#next++;
    const request: CompressRequest = { id, data, lengths: sizes };
    free.queued += 1;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { sizes, resolve, reject });
      free.worker.postMessage(request, [data.buffer as ArrayBuffer]);
    });
  }

  /** Stops the workers (none is left running, also after a failure). */
  async close(): Promise<void> {
    this.#failure ??= new Error('the compression workers are closed');
    await Promise.all(
      this.#workers.map(async ({ worker, exited }) => {
        worker.postMessage('close');
        // A worker that does not stop by itself is stopped.
        const timer = setTimeout(() => worker.terminate(), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }
}
