import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, bench, describe } from 'vitest';
import { EXIT } from '../exit-codes.js';
import { startLockFixture } from './testing/lock-fixture.js';

// Target (issue 21): `phpublish verify --lock` of a 200-package composer.lock against the sandbox in at
// most 4.5 s cold, verifying with the Sigstore libraries as published (no runtime patches; the earlier
// 3 s target relied on them), with a cost linear in the number of packages (bounded concurrency, one
// connection pool).
// The command runs as users run it: the built CLI in its own Node process (`pnpm bench` builds first),
// while the sandbox (Packagist, GitHub, Sigstore) answers from this one; dists come from a stand-in for
// GitHub's zipball endpoint, as in the composer.lock of GitHub packages.
const TARGET_MS = 4500;
const SIZES = [50, 100, 200] as const;
const CLI = fileURLToPath(new URL('../../dist/bin/phpublish.js', import.meta.url));
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (pnpm bench does)`);

console.log('\nReleasing 200 packages through phpublish in the sandbox (signed tag, zip, attestation, Packagist)…');
const fixture = await startLockFixture(200, (line) => console.log(line));
const locks = new Map<number, string>(
  await Promise.all(SIZES.map(async (n) => [n, await fixture.writeLock(n)] as const)),
);
const timings = new Map<number, number[]>(SIZES.map((n) => [n, []]));

function phpublish(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: fixture.env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 70) : 0, stdout, stderr }),
    );
  });
}

async function verifyLock(size: number): Promise<void> {
  const started = performance.now();
  const run = await phpublish(['verify', '--lock', locks.get(size)!, '--policy', fixture.policyFile, '--json']);
  const ms = performance.now() - started;
  if (run.code !== EXIT.ok) {
    throw new Error(`verify --lock (${size}) exited ${run.code}:\n${run.stdout.slice(0, 2000)}\n${run.stderr}`);
  }
  const report = JSON.parse(run.stdout) as { summary: { verified: number } };
  if (report.summary.verified !== size) throw new Error(`only ${report.summary.verified} of ${size} verified`);
  timings.get(size)!.push(ms);
}

describe('phpublish verify --lock (built CLI, sandbox git server, Packagist, GitHub, Sigstore)', () => {
  for (const size of SIZES) {
    bench(`${size} packages`, () => verifyLock(size), { iterations: 3, warmupIterations: 1, time: 0 });
  }
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

afterAll(async () => {
  await fixture.close();
  const lines = ['', 'phpublish verify --lock, median (and best) of 3 runs, wall time of the whole command:'];
  for (const size of SIZES) {
    const ms = median(timings.get(size)!);
    const best = Math.min(...timings.get(size)!);
    lines.push(
      `  ${String(size).padStart(3)} packages: ${ms.toFixed(0).padStart(5)} ms (best ${best.toFixed(0)}), ${(ms / size).toFixed(1)} ms per package`,
    );
  }
  const full = median(timings.get(200)!);
  lines.push(
    `  target 200 packages ≤ ${TARGET_MS} ms: ${full <= TARGET_MS ? 'met' : 'MISSED'} (${full.toFixed(0)} ms)`,
  );
  // Linear: the cost of each further package stays the same (start-up is paid once).
  const marginal = (a: number, b: number) => (median(timings.get(b)!) - median(timings.get(a)!)) / (b - a);
  lines.push(
    `  marginal cost per package: 50→100 ${marginal(50, 100).toFixed(1)} ms, 100→200 ${marginal(100, 200).toFixed(1)} ms`,
    `  machine: ${availableParallelism()} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(lines.join('\n'));
});
