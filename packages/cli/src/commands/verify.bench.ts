import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
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
// With the verification cache (issue 21): an unchanged lock ≤ 0.5 s; 10 changed packages ≈ the cold
// cost of 10 (start-up plus the 10 packages' share of a cold run).
const WARM_TARGET_MS = 500;
const SIZES = [50, 100, 200] as const;
/** The lock that warms the cache before the "10 changed" runs: all but the last 10 packages. */
const ALL_BUT_TEN = 190;
const CLI = fileURLToPath(new URL('../../dist/bin/phpublish.js', import.meta.url));
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (pnpm bench does)`);

console.log('\nReleasing 200 packages through phpublish in the sandbox (signed tag, zip, attestation, Packagist)…');
const fixture = await startLockFixture(200, (line) => console.log(line));
const locks = new Map<number, string>(
  await Promise.all([...SIZES, ALL_BUT_TEN].map(async (n) => [n, await fixture.writeLock(n)] as const)),
);
const timings = new Map<number, number[]>(SIZES.map((n) => [n, []]));
/** 200 packages with the cache: empty, filled by the same lock, filled by the lock of all but 10. */
const cached = { cold: [] as number[], warm: [] as number[], tenChanged: [] as number[] };
const cacheRoot = await mkdtemp(join(tmpdir(), 'phpublish-verify-bench-cache-'));
let cacheDirs = 0;
const freshCacheDir = () => join(cacheRoot, String(cacheDirs++));
// The user's cache folder, as users have one: Node.js's compile cache lives there (compile-cache.ts),
// filled by the warm-up run of the first case. `firstEver` gets a folder of its own, empty.
const userCacheHome = join(cacheRoot, 'user-cache-home');
/** One run with nothing cached at all, compile cache included: what the first run on a machine costs. */
let firstEver = Number.NaN;

function phpublish(
  args: string[],
  cacheHome = userCacheHome,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...fixture.env, XDG_CACHE_HOME: cacheHome }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 70) : 0, stdout, stderr }),
    );
  });
}

/** One `verify --lock` of the first `size` packages; its wall time. `cache`: the flags for the cache. */
async function verifyLock(size: number, cache: string[] = ['--no-cache'], cacheHome?: string): Promise<number> {
  const started = performance.now();
  const run = await phpublish(
    ['verify', '--lock', locks.get(size)!, '--policy', fixture.policyFile, '--json', ...cache],
    cacheHome,
  );
  const ms = performance.now() - started;
  if (run.code !== EXIT.ok) {
    throw new Error(`verify --lock (${size}) exited ${run.code}:\n${run.stdout.slice(0, 2000)}\n${run.stderr}`);
  }
  const report = JSON.parse(run.stdout) as { summary: { verified: number } };
  if (report.summary.verified !== size) throw new Error(`only ${report.summary.verified} of ${size} verified`);
  return ms;
}

const options = { iterations: 3, warmupIterations: 1, time: 0 };
describe('phpublish verify --lock (built CLI, sandbox git server, Packagist, GitHub, Sigstore)', () => {
  bench(
    '200 packages, first run on the machine (no compile cache, no verification cache)',
    async () => {
      firstEver = await verifyLock(200, ['--cache-dir', freshCacheDir()], join(cacheRoot, 'first-ever'));
    },
    { iterations: 1, warmupIterations: 0, time: 0 },
  );
  for (const size of SIZES) {
    bench(`${size} packages, no cache`, async () => timings.get(size)!.push(await verifyLock(size)), options);
  }
  // Each run gets its own cache folder, filled (or not) as the case says, outside the timing.
  bench(
    '200 packages, cache empty',
    async () => cached.cold.push(await verifyLock(200, ['--cache-dir', freshCacheDir()])),
    options,
  );
  const warmDir = freshCacheDir();
  bench(
    '200 packages, cache filled by the same lock',
    async () => cached.warm.push(await verifyLock(200, ['--cache-dir', warmDir])),
    { ...options, setup: async () => void (await verifyLock(200, ['--cache-dir', warmDir])) },
  );
  bench(
    '200 packages, 10 not in the cache',
    async () => {
      const dir = freshCacheDir();
      await verifyLock(ALL_BUT_TEN, ['--cache-dir', dir]);
      cached.tenChanged.push(await verifyLock(200, ['--cache-dir', dir]));
    },
    options,
  );
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

afterAll(async () => {
  await fixture.close();
  await rm(cacheRoot, { recursive: true, force: true });
  const lines = [
    '',
    'phpublish verify --lock, median (and best) of 3 runs, wall time of the whole command (warm-up run included in none):',
  ];
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
  const perPackage = marginal(100, 200);
  const cold = median(timings.get(50)!) - 50 * marginal(50, 100);
  lines.push(
    `  marginal cost per package: 50→100 ${marginal(50, 100).toFixed(1)} ms, 100→200 ${perPackage.toFixed(1)} ms`,
    `  with the cache, 200 packages: empty ${median(cached.cold).toFixed(0)} ms, unchanged lock ${median(cached.warm).toFixed(0)} ms (target ≤ ${WARM_TARGET_MS} ms: ${median(cached.warm) <= WARM_TARGET_MS ? 'met' : 'MISSED'}), 10 not cached ${median(cached.tenChanged).toFixed(0)} ms`,
    `  first run on the machine (compile cache empty too): ${firstEver.toFixed(0)} ms`,
    `  cold cost of 10 packages, for comparison: start-up ≈ ${cold.toFixed(0)} ms + 10 × ${perPackage.toFixed(1)} ms ≈ ${(cold + 10 * perPackage).toFixed(0)} ms`,
    `  machine: ${availableParallelism()} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(lines.join('\n'));
});
