import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { archiveGitEnv, fixtureRepo } from '@phpublish/testing/archive';
import type { PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { buildArchive } from './build-archive.js';
import { contentDigestOfRef, contentDigestOfZip } from './digest.js';

/**
 * Relative speed on a mid-sized package (3,000 PHP files, about 17 MB), in-process. The full
 * comparison — a 10,000-file, 60 MB tree and its double, `composer archive`, peak memory of each
 * process — is `node scripts/bench-archive.mjs` (docs/benchmarks.md).
 */

const run = promisify(execFile);
let repo: PhpPackageRepo;
let temp: TempDir;
let zip: string;
let counter = 0;

beforeAll(async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 3000; i++) {
    const methods = Array.from(
      { length: 20 + (i % 40) },
      (_, m) =>
        `    public function method${m}(array $items): int\n    {\n        return count($items) + ${(i * 31 + m) % 997};\n    }\n`,
    ).join('\n');
    files[`src/Module${i % 30}/Class${i}.php`] =
      `<?php\n\nnamespace Bench\\Module${i % 30};\n\nfinal class Class${i}\n{\n${methods}}\n`;
  }
  repo = await fixtureRepo(files, 'bench/medium');
  temp = await makeTempDir('phpublish-archive-bench-');
  zip = join(temp.path, 'reference.zip');
  await buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: 'HEAD', outFile: zip });
}, 120_000);

afterAll(async () => {
  await repo?.cleanup();
  await temp?.cleanup();
});

describe('zip of a 3,000-file package', () => {
  bench(
    'phpublish buildArchive',
    async () => {
      await buildArchive({
        cwd: repo.dir,
        env: archiveGitEnv,
        ref: 'HEAD',
        outFile: join(temp.path, `z${counter++}.zip`),
      });
    },
    { iterations: 5, warmupIterations: 1 },
  );
  bench(
    'git archive --format=zip',
    async () => {
      await run('git', ['archive', '--format=zip', '-o', join(temp.path, `g${counter++}.zip`), 'HEAD'], {
        cwd: repo.dir,
        env: archiveGitEnv,
      });
    },
    { iterations: 5, warmupIterations: 1 },
  );
});

describe('content digest of the same package', () => {
  bench(
    'of the commit',
    async () => {
      await contentDigestOfRef({ cwd: repo.dir, env: archiveGitEnv, ref: 'HEAD' });
    },
    { iterations: 5, warmupIterations: 1 },
  );
  bench(
    'of the zip',
    async () => {
      await contentDigestOfZip(zip);
    },
    { iterations: 5, warmupIterations: 1 },
  );
});
