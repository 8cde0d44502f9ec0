import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AnswerLimits, RetryPolicy } from '../http/index.js';
import { crashedReport } from './crashed-report.js';
import type { VerifyTarget } from './lock.js';
import type { PackageReport } from './report.js';
import type { VerifyDeps, VerifyEndpoints } from './session.js';
import type { VerifyCacheOptions } from './verify-cache.js';

/** What a verification thread is given (structured-cloned: data only). */
export interface WorkerInput {
  share: { index: number; target: VerifyTarget }[];
  policyFile: string;
  cwd: string;
  env: Record<string, string | undefined>;
  endpoints: VerifyEndpoints;
  strict: boolean;
  concurrency: number;
  tempDir: string;
  userAgent: string;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  limits?: Partial<AnswerLimits>;
  cache?: VerifyCacheOptions;
}

export type WorkerMessage =
  | { type: 'done'; index: number; report: PackageReport }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

/**
 * The compiled thread module, when this code runs from the build. From the TypeScript sources
 * (tests), there is none: a thread cannot load them, and everything runs in the calling thread.
 */
export function workerModule(): URL | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  const url = new URL('./verify-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * Verifies shares of the packages in worker threads, one thread per share, each with its own
 * connection pool and scratch repositories; reports come back as each package is done. A thread
 * that fails (a defect) does not stop the others: the packages it had not reported yet fail with
 * VERIFY_INTERNAL_ERROR.
 */
export async function verifyInWorkers(
  module: URL,
  input: {
    shares: { index: number; target: VerifyTarget }[][];
    policyFile: string;
    endpoints: VerifyEndpoints;
    strict: boolean;
    concurrency: number;
    deps: VerifyDeps;
    onDone: (index: number, report: PackageReport) => void;
  },
): Promise<void> {
  const { deps } = input;
  const workers: Worker[] = [];
  const run = (share: { index: number; target: VerifyTarget }[]) =>
    new Promise<void>((resolve) => {
      const workerData: WorkerInput = {
        share,
        policyFile: input.policyFile,
        cwd: deps.cwd,
        env: deps.env,
        endpoints: input.endpoints,
        strict: input.strict,
        concurrency: input.concurrency,
        tempDir: deps.tempDir,
        userAgent: deps.userAgent,
        ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
        ...(deps.retry ? { retry: deps.retry } : {}),
        ...(deps.limits ? { limits: deps.limits } : {}),
        ...(deps.cache ? { cache: deps.cache } : {}),
      };
      const worker = new Worker(module, { workerData });
      workers.push(worker);
      const reported = new Set<number>();
      let failure: unknown;
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'done') {
          reported.add(message.index);
          input.onDone(message.index, message.report);
        } else deps.logger[message.level](message.message);
      });
      // An 'error' is always followed by 'exit'.
      worker.on('error', (error) => {
        failure = error;
      });
      worker.on('exit', (code) => {
        for (const { index, target } of share) {
          if (reported.has(index)) continue;
          input.onDone(
            index,
            crashedReport(target, failure ?? new Error(`the verification thread stopped with exit code ${code}`)),
          );
        }
        resolve();
      });
    });
  try {
    await Promise.all(input.shares.filter((share) => share.length > 0).map(run));
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw error;
  }
}
