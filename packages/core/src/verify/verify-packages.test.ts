import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { virtualClock } from '../clock.js';
import { Redactor, silentLogger } from '../log/index.js';
import { loadPolicy } from './policy.js';
import type { PackageReport } from './report.js';
import type { VerifyDeps } from './session.js';
import { verifyPackages } from './verify-packages.js';
import { verifyInWorkers } from './worker-pool.js';

let dir: TempDir;
let agent: Agent;

beforeEach(async () => {
  dir = await makeTempDir('phpublish-verify-packages-');
  agent = new Agent();
});

afterEach(async () => {
  await agent.close();
  await dir.cleanup();
});

function deps(logger = silentLogger): VerifyDeps {
  return {
    cwd: dir.path,
    env: {},
    clock: virtualClock(),
    dispatcher: agent,
    userAgent: 'phpublish-test/1',
    logger,
    redactor: new Redactor(),
    tempDir: dir.path,
    retry: { attempts: 1 },
  };
}

async function policy() {
  const file = join(dir.path, 'policy.json');
  await writeFile(
    file,
    JSON.stringify({ packages: { 'acme/*': { requireSignedTag: false, requireAttestation: false } } }),
  );
  return loadPolicy({ file, cwd: dir.path });
}

describe('verifyPackages', () => {
  describe('when verifying a package meets an error that is not a finding (a defect)', () => {
    it('fails that package with VERIFY_INTERNAL_ERROR in its own row instead of rejecting the run', async () => {
      // A logger that fails (a closed stream, say) is a defect of the run, met inside the package's checks.
      const failing = {
        ...silentLogger,
        info: () => {
          throw new TypeError('write after end');
        },
      };
      const report = await verifyPackages(
        {
          targets: [{ packageName: 'acme/hello', version: '1.0.0' }],
          policy: await policy(),
          endpoints: { packagistUrl: 'http://127.0.0.1:1', githubApiUrl: 'http://127.0.0.1:1' },
        },
        deps(failing),
      );
      expect(report.summary).toMatchObject({ verified: 0, failed: 1 });
      expect(report.packages[0]).toMatchObject({ packageName: 'acme/hello', status: 'failed', policyEntry: 'acme/*' });
      expect(report.packages[0]!.checks).toEqual([
        expect.objectContaining({
          status: 'failed',
          code: 'VERIFY_INTERNAL_ERROR',
          detail: 'phpublish could not finish verifying acme/hello: write after end.',
        }),
      ]);
    });
  });
});

describe('verifyInWorkers', () => {
  describe('when a verification thread dies', () => {
    it('fails the packages it had not reported, keeps those it had, and does not reject', async () => {
      // A thread that reports its first package, then dies.
      const module = join(dir.path, 'dying-worker.mjs');
      await writeFile(
        module,
        [
          "import { parentPort, workerData } from 'node:worker_threads';",
          'const [first] = workerData.share;',
          "parentPort.postMessage({ type: 'done', index: first.index, report: { packageName: first.target.packageName, status: 'verified', checks: [] } });",
          "throw new Error('out of memory');",
        ].join('\n'),
      );
      const reports = new Map<number, PackageReport>();
      await verifyInWorkers(pathToFileURL(module), {
        shares: [
          [
            { index: 0, target: { packageName: 'acme/one' } },
            { index: 1, target: { packageName: 'acme/two', version: '2.0.0' } },
          ],
        ],
        policyFile: join(dir.path, 'policy.json'),
        endpoints: { packagistUrl: 'http://127.0.0.1:1', githubApiUrl: 'http://127.0.0.1:1' },
        strict: false,
        concurrency: 1,
        deps: deps(),
        onDone: (index, report) => reports.set(index, report),
      });
      expect(reports.get(0)).toMatchObject({ packageName: 'acme/one', status: 'verified' });
      expect(reports.get(1)).toMatchObject({ packageName: 'acme/two', version: '2.0.0', status: 'failed' });
      expect(reports.get(1)!.checks[0]).toMatchObject({ code: 'VERIFY_INTERNAL_ERROR' });
      expect(reports.get(1)!.checks[0]!.detail).toContain('out of memory');
    });
  });
});
