import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources of sibling packages, not their last build.
    // The first entry that matches wins: subpaths come before their package.
    alias: [
      // Core's subpath exports by area (`@phpublish/core/release` → packages/core/src/release/index.ts).
      {
        find: /^@phpublish\/core\/([a-z-]+)$/,
        replacement: fileURLToPath(new URL('./packages/core/src/$1/index.ts', import.meta.url)),
      },
      { find: '@phpublish/core', replacement: src('core') },
      { find: '@phpublish/sandbox', replacement: src('sandbox') },
      { find: '@phpublish/cli', replacement: src('cli') },
      // @phpublish/testing needs none: its package.json exports point at its TypeScript sources.
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts', './vitest.leak-scan.setup.ts'],
    benchmark: { include: ['packages/*/src/**/*.bench.ts'] },
    pool: 'forks',
    // Two test files at a time even on a 2-core CI machine (vitest's default would be one): most of
    // the suite waits on git, GnuPG, Composer and the stand-ins rather than computing.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests talk to servers on 127.0.0.1 only; no test may depend on another's state.
    sequence: { shuffle: false },
    env: { NO_COLOR: '1' },
    // Branch coverage of core, turned on by `npm test` (`--coverage`): the text report lists the
    // uncovered lines of each core file that is not fully covered. Single test files run without it.
    coverage: {
      provider: 'v8',
      include: ['packages/core/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/*.bench.ts', '**/testing/**'],
      reporter: [['text', { skipFull: true }]],
      // Also when a test fails: the numbers are still worth seeing.
      reportOnFailure: true,
      // Issue 23: at least 90 % of core's branches, measured on the whole suite (91.4 % when set; code
      // that runs only in worker threads or child processes is not seen). Raise it as real tests
      // cover more; never lower it to let a change through.
      thresholds: { branches: 90 },
    },
  },
});
