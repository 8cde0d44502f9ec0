/**
 * A verification thread (see worker-pool.ts): verifies its share of the packages with its own
 * session and posts each package's report back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../clock.js';
import { Redactor, redactingLogger } from '../log/index.js';
import { loadPolicy } from './policy.js';
import { createSession, createVerifyAgent } from './session.js';
import { verifyInThisThread } from './verify-packages.js';
import type { WorkerInput, WorkerMessage } from './worker-pool.js';

const input = workerData as WorkerInput;
const post = (message: WorkerMessage) => parentPort!.postMessage(message);
const redactor = new Redactor();
const agent = createVerifyAgent();
try {
  const policy = await loadPolicy({ file: input.policyFile, cwd: input.cwd });
  const logger = redactingLogger(
    {
      // Step lines are not shown for many packages; warnings and errors are.
      info: () => {},
      success: () => {},
      warn: (message) => post({ type: 'log', level: 'warn', message }),
      error: (message) => post({ type: 'log', level: 'error', message }),
    },
    redactor,
  );
  const session = createSession(
    {
      cwd: input.cwd,
      env: input.env,
      clock: systemClock,
      dispatcher: agent,
      userAgent: input.userAgent,
      logger,
      redactor,
      tempDir: input.tempDir,
      ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
      ...(input.retry ? { retry: input.retry } : {}),
      ...(input.limits ? { limits: input.limits } : {}),
      ...(input.cache ? { cache: input.cache } : {}),
    },
    input.endpoints,
  );
  await verifyInThisThread(
    input.share,
    {
      policy,
      session,
      concurrency: input.concurrency,
      strict: input.strict,
      tempDir: input.tempDir,
      notice: (message) => post({ type: 'log', level: 'info', message: redactor.redact(message) }),
    },
    (index, report) => post({ type: 'done', index, report }),
  );
} finally {
  await agent.close();
}
