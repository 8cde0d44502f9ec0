import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { virtualClock } from '../clock.js';
import { memoryLogger, Redactor } from '../log/index.js';
import type { PackageReport } from './report.js';
import type { VerifyDeps } from './session.js';
import { verifyInWorkers } from './worker-pool.js';

// The thread side of many-package verification, with stand-in thread modules (the real one runs
// only from the build): what a thread is told, what it says, and what its end means for the packages
// it had not reported.

let dir: TempDir;
let agent: Agent;

beforeEach(async () => {
  dir = await makeTempDir('phpublish-worker-pool-');
  agent = new Agent();
});
afterEach(async () => {
  await agent.close();
  await dir.cleanup();
});

async function threadModule(...lines: string[]): Promise<URL> {
  const file = join(dir.path, `thread-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(file, ["import { parentPort, workerData } from 'node:worker_threads';", ...lines].join('\n'));
  return pathToFileURL(file);
}

async function run(module: URL, deps: VerifyDeps, shares = [[{ index: 0, target: { packageName: 'acme/one' } }]]) {
  const reports = new Map<number, PackageReport>();
  await verifyInWorkers(module, {
    shares,
    policyFile: join(dir.path, 'policy.json'),
    endpoints: { packagistUrl: 'http://127.0.0.1:1', githubApiUrl: 'http://127.0.0.1:1' },
    strict: true,
    concurrency: 2,
    deps,
    onDone: (index, report) => reports.set(index, report),
  });
  return reports;
}

function depsWith(extra: Partial<VerifyDeps> = {}) {
  const logger = memoryLogger();
  const deps: VerifyDeps = {
    cwd: dir.path,
    env: { HOME: dir.path },
    clock: virtualClock(),
    dispatcher: agent,
    userAgent: 'phpublish-test/1',
    logger,
    redactor: new Redactor(),
    tempDir: dir.path,
    ...extra,
  };
  return { deps, logger };
}

/** A thread that says what it was given, then reports each package of its share verified. */
const ECHO = [
  "parentPort.postMessage({ type: 'log', level: 'warn', message: JSON.stringify({ ...workerData, share: undefined }) });",
  'for (const { index, target } of workerData.share) {',
  "  parentPort.postMessage({ type: 'done', index, report: { packageName: target.packageName, status: 'verified', checks: [] } });",
  '}',
];

describe('when a thread starts', () => {
  it('gets the run’s timeout, retry policy, answer limits and cache, so threads behave as the calling one', async () => {
    const cache = { dir: join(dir.path, 'cache'), phpublishVersion: '9.9.9' };
    const { deps, logger } = depsWith({
      timeoutMs: 1234,
      retry: { attempts: 2 },
      limits: { metadata: 4096 },
      cache,
    });
    const reports = await run(await threadModule(...ECHO), deps);
    const told = JSON.parse(logger.lines.find((l) => l.startsWith('warn: '))!.slice('warn: '.length));
    expect(told).toMatchObject({
      cwd: dir.path,
      strict: true,
      concurrency: 2,
      timeoutMs: 1234,
      retry: { attempts: 2 },
      limits: { metadata: 4096 },
      cache,
    });
    expect(reports.get(0)).toMatchObject({ packageName: 'acme/one', status: 'verified' });
  });

  it('gives none of them when the run sets none (the thread’s defaults apply)', async () => {
    const { deps, logger } = depsWith();
    await run(await threadModule(...ECHO), deps);
    const told = JSON.parse(logger.lines.find((l) => l.startsWith('warn: '))!.slice('warn: '.length));
    for (const key of ['timeoutMs', 'retry', 'limits', 'cache']) expect(told).not.toHaveProperty(key);
  });

  it('starts no thread for an empty share', async () => {
    const { deps } = depsWith();
    const reports = await run(await threadModule("throw new Error('should not start');"), deps, [[]]);
    expect(reports.size).toBe(0);
  });
});

describe('when a thread exits without reporting every package', () => {
  it('fails those packages with VERIFY_INTERNAL_ERROR naming the exit code', async () => {
    const { deps } = depsWith();
    const reports = await run(await threadModule('process.exit(3);'), deps, [
      [
        { index: 0, target: { packageName: 'acme/one' } },
        { index: 1, target: { packageName: 'acme/two' } },
      ],
    ]);
    for (const index of [0, 1]) {
      expect(reports.get(index)).toMatchObject({ status: 'failed' });
      expect(reports.get(index)!.checks[0]).toMatchObject({ code: 'VERIFY_INTERNAL_ERROR' });
      expect(reports.get(index)!.checks[0]!.detail).toContain('exit code 3');
    }
  });
});
