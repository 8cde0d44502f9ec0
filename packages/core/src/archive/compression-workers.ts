import { Worker } from 'node:worker_threads';
import { PhpublishError } from '../errors/index.js';
import type { GitContext } from '../git/context.js';
import {
  type CompressAnswer,
  type CompressedFile,
  type CompressRequest,
  filesOf,
  WORKER_MARK,
  type WorkerSetup,
} from './compress-worker.js';

/** Running from the TypeScript sources (the tests) rather than from the compiled module. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './compress-worker.ts' : './compress-worker.js', import.meta.url);
/** Not the flags this process was started with (`--input-type`, `--eval` and such are not the worker's). */
const WORKER_FLAGS = FROM_SOURCE ? ['--import', new URL('./source-imports.ts', import.meta.url).href] : [];

const gitFailed = (problem: string) =>
  new PhpublishError('ARCHIVE_GIT_FAILED', { command: 'cat-file --batch', problem });

/**
 * Worker threads that read and compress batches of small files (compress-worker.ts), each batch
 * to the next worker in turn. Started only for trees large enough to be worth it.
 */
export class CompressionWorkers {
  readonly #workers: Array<{ worker: Worker; exited: Promise<unknown> }>;
  readonly #waiting = new Map<number, { resolve(files: CompressedFile[]): void; reject(error: unknown): void }>();
  #next = 0;
  #failure: unknown;

  constructor(size: number, git: GitContext) {
    const setup: WorkerSetup = { mark: WORKER_MARK, git };
    this.#workers = Array.from({ length: Math.max(1, size) }, () => {
      const worker = new Worker(WORKER_URL, { workerData: setup, execArgv: WORKER_FLAGS });
      worker.on('message', (answer: CompressAnswer) => {
        const waiting = this.#waiting.get(answer.id);
        this.#waiting.delete(answer.id);
        if ('problem' in answer) waiting?.reject(gitFailed(answer.problem));
        else waiting?.resolve(filesOf(answer));
      });
      worker.on('error', (error) => this.#fail(error));
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.on('exit', (code) => this.#fail(new Error(`a compression worker stopped (${code})`)));
      return { worker, exited };
    });
  }

  /** The blobs `oids` read and compressed, in order. */
  compress(oids: string[]): Promise<CompressedFile[]> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#next++;
    const request: CompressRequest = { id, oids };
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#workers[id % this.#workers.length]!.worker.postMessage(request);
    });
  }

  /** Stops the workers once their gits have stopped (none is left running, also after a failure). */
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
