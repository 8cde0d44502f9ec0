import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** The statuses a finished job is stored with (and so the only ones `/jobs/<id>` reports besides `running`). */
export type FinishedJobStatus = 'completed' | 'failed' | 'errored' | 'package_gone' | 'package_deleted';

/** What the worker stores under `job-<id>`; key order as Packagist writes it. */
export interface JobResult {
  readonly status: FinishedJobStatus;
  readonly message: string;
  readonly details?: string;
  readonly vendor?: string;
  readonly exceptionMsg?: string;
  readonly exceptionClass?: string;
}

interface Job {
  readonly id: string;
  readonly packageName: string;
  /** Monotonic ms (performance.now) before which the worker leaves it queued. */
  runAfter: number;
  state: 'queued' | 'started' | 'finished';
  result?: JobResult;
  finishedAt?: number;
}

/** Packagist keeps a job's result in Redis for 600 s; after that the job reads as `running` again. */
export const JOB_RESULT_TTL_MS = 600_000;

export interface JobQueueOptions {
  /** How long a new job waits before the worker may take it. */
  readonly delayMs: number;
  /** Stamps results (for their expiry); delays run on real timers whatever this clock says. */
  readonly now: () => number;
  /** Runs one job; never called for two jobs at once. */
  readonly run: (packageName: string) => Promise<JobResult>;
  /** Called when a job could not run at all (a bug in the sandbox). */
  readonly onError: (error: unknown) => void;
}

/**
 * Packagist's package:updates queue with a single worker: jobs run one at a time, in order, once their delay
 * has passed. Scheduling an update for a package that already has a queued (not yet started) job returns
 * that job, as Scheduler::scheduleUpdate does.
 */
export class JobQueue {
  readonly #jobs = new Map<string, Job>();
  readonly #queue: Job[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  #idleWaiters: Array<() => void> = [];

  constructor(private readonly options: JobQueueOptions) {}

  schedule(packageName: string, delayMs = this.options.delayMs): string {
    const runAfter = performance.now() + delayMs;
    const pendingIndex = this.#queue.findIndex((job) => job.packageName === packageName && job.state === 'queued');
    const pending = this.#queue[pendingIndex];
    if (pending) {
      if (pending.runAfter <= runAfter) return pending.id;
      // The queued job would run later than the one asked for now: Packagist finishes it and queues anew.
      this.#queue.splice(pendingIndex, 1);
      this.#finish(pending, {
        status: 'completed',
        message:
          'Another job is attempting to schedule immediately for this package, aborting scheduled-for-later update',
      });
    }
    const job: Job = { id: randomBytes(20).toString('hex'), packageName, runAfter, state: 'queued' };
    this.#jobs.set(job.id, job);
    this.#queue.push(job);
    this.#wake();
    return job.id;
  }

  /**
   * Runs the package's queued job now (or a new one when none is queued), after any job already running,
   * and resolves to its result: a job id that update-package handed out is then finished.
   */
  async runNow(packageName: string): Promise<{ id: string; result: JobResult }> {
    if (this.#closed) throw new Error('sandbox Packagist: the job queue is closed');
    let job = this.#queue.find((queued) => queued.packageName === packageName && queued.state === 'queued');
    if (job) {
      job.runAfter = 0;
    } else {
      job = { id: randomBytes(20).toString('hex'), packageName, runAfter: 0, state: 'queued' };
      this.#jobs.set(job.id, job);
      this.#queue.push(job);
    }
    const promoted = job;
    this.#wake();
    await new Promise<void>((resolve) => {
      const check = () => (promoted.state === 'finished' ? resolve() : this.#idleWaiters.push(check));
      check();
    });
    return { id: promoted.id, result: promoted.result! };
  }

  /** The stored result, or undefined while queued, running, unknown or expired. */
  result(id: string): JobResult | undefined {
    const job = this.#jobs.get(id);
    if (job?.state !== 'finished' || job.finishedAt === undefined) return undefined;
    if (this.options.now() - job.finishedAt > JOB_RESULT_TTL_MS) return undefined;
    return job.result;
  }

  /** Resolves once no job is queued or running. */
  async idle(): Promise<void> {
    while (this.#queue.length > 0 || this.#running) {
      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running;
    this.#notify();
  }

  #notify(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  #wake(): void {
    if (this.#closed || this.#running) return;
    clearTimeout(this.#timer);
    // The job due first; among equals, the one queued first.
    let nextIndex = -1;
    for (const [index, job] of this.#queue.entries()) {
      if (nextIndex === -1 || job.runAfter < this.#queue[nextIndex]!.runAfter) nextIndex = index;
    }
    const next = this.#queue[nextIndex];
    if (!next) {
      this.#notify();
      return;
    }
    const wait = next.runAfter - performance.now();
    if (wait > 0) {
      this.#timer = setTimeout(() => this.#wake(), wait);
      return;
    }
    this.#queue.splice(nextIndex, 1);
    this.#running = this.#runJob(next).finally(() => {
      this.#running = undefined;
      this.#notify();
      this.#wake();
    });
  }

  async #runJob(job: Job): Promise<void> {
    job.state = 'started';
    let result: JobResult;
    try {
      result = await this.options.run(job.packageName);
    } catch (error) {
      this.options.onError(error);
      // QueueWorker's catch-all for an exception thrown by the worker.
      result = {
        status: 'errored',
        message: 'An unexpected failure occurred',
        exceptionMsg: error instanceof Error ? error.message : String(error),
        exceptionClass: error instanceof Error ? error.constructor.name : 'Error',
      };
    }
    this.#finish(job, result);
  }

  #finish(job: Job, result: JobResult): void {
    job.result = result;
    job.finishedAt = this.options.now();
    job.state = 'finished';
  }
}
