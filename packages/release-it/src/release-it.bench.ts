import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startAttestationSandbox } from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey } from '@phpublish/testing/pgp';
import { createBareRemote } from '@phpublish/testing/php-package-repo';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { afterAll, bench, describe } from 'vitest';

// Targets (issue 17): the plugin adds at most 1.5 s to a release-it release; importing it takes at most 200 ms.
// The real release-it CLI 21 (the dev dependency) and this plugin as built (`turbo run build` first).
const require = createRequire(import.meta.url);
const RELEASE_IT = join(dirname(require.resolve('release-it/package.json')), 'bin', 'release-it.js');
const RELEASE_IT_ENTRY = pathToFileURL(require.resolve('release-it')).href;
const PLUGIN = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const RELEASE_PAIRS = 5;
const IMPORTS = 5;
const key = await generateTestKey('ed25519');
const timings: Record<string, number[]> = {};
const record = (name: string, ms: number) => {
  timings[name] = [...(timings[name] ?? []), ms];
};

/**
 * Runs `file` under bash's `time`, which adds up the CPU time of the whole process tree (release-it,
 * its git commands, the signing program git starts, worker threads): what the release costs the
 * machine, which other work on it changes much less than it changes wall time. Returns it in ms.
 */
function runTimed(
  file: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<number> {
  const timed = ['-c', 'TIMEFORMAT="%3U %3S"; time "$@"', 'bash', file, ...args];
  return new Promise((resolve, reject) =>
    execFile('bash', timed, { ...options, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${file} ${args.join(' ')} failed:\n${stdout}\n${stderr}`));
      const [user, system] = stderr.trimEnd().split('\n').at(-1)?.split(' ').map(Number) ?? [];
      resolve(((user ?? Number.NaN) + (system ?? Number.NaN)) * 1000);
    }),
  );
}

/** One complete release (`release-it 1.0.0 --ci`) of a fresh repository: the wall and CPU time of release-it alone. */
async function release(withPlugin: boolean): Promise<{ wallMs: number; cpuMs: number }> {
  const fixture = await startPackagistFixture({ tags: [] });
  const services = await startAttestationSandbox();
  services.github.addRepository('acme/hello');
  // What release-it's GitHub plugin does before this plugin's release step, as in the E2E: the release exists.
  services.github.createRelease('acme/hello', 'v1.0.0');
  const remote = await createBareRemote();
  const home = await makeTempDir('phpublish-ri-bench-');
  try {
    await fixture.repo.git(['remote', 'add', 'origin', remote.dir]);
    await fixture.repo.git(['push', '-q', '-u', 'origin', 'main']);
    await fixture.repo.commit({ 'src/Feature.php': '<?php\n' }, 'feat: a feature');
    await fixture.repo.git(['push', '-q', 'origin', 'main']);
    // A PHP-only repository: no package.json, release-it's git plugin tags and pushes.
    const config: Record<string, unknown> = {
      npm: false,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: release-it's own template syntax
      git: { tagName: 'v${version}', commit: false },
      github: { release: false },
    };
    if (withPlugin) {
      config['plugins'] = {
        [PLUGIN]: {
          attest: {
            fulcioUrl: services.sigstore.fulcioUrl,
            rekorUrl: services.sigstore.rekorUrl,
            // No timestamp authority, as by default: the Rekor entry dates the signature.
            githubApiUrl: services.github.url,
          },
          // Confirmation polling as configured by default.
          packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url },
        },
      };
    }
    // Outside the repository, so that release-it's clean-working-directory check passes.
    const configFile = join(home.path, 'release-it.json');
    await writeFile(configFile, JSON.stringify(config));
    // A GitHub Actions job with `id-token: write`: every layer is on (signed tag, attestation, Packagist).
    const job = services.githubIssuer.gitHubActionsJob({
      repository: 'acme/hello',
      ref: 'refs/heads/main',
      eventName: 'push',
      sha: fixture.repo.head,
    });
    const env = {
      ...gitEnv(),
      ...job.env,
      HOME: home.path,
      GITHUB_API_URL: services.github.url,
      GITHUB_TOKEN: services.github.issueToken('acme/hello', { contents: 'write', attestations: 'write' }),
      GITHUB_STEP_SUMMARY: join(home.path, 'summary.md'),
      PACKAGIST_USERNAME: 'alice',
      PACKAGIST_API_TOKEN: fixture.alice.safeToken,
      PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
    };
    const started = performance.now();
    const cpuMs = await runTimed(process.execPath, [RELEASE_IT, '1.0.0', '--ci', '--config', configFile], {
      cwd: fixture.repo.dir,
      env,
    });
    const wallMs = performance.now() - started;
    // A benchmark of a release that did less than claimed would flatter the plugin.
    if (withPlugin && services.github.attestations('acme/hello').length !== 1)
      throw new Error('the release with the plugin stored no attestation');
    return { wallMs, cpuMs };
  } finally {
    await services.close();
    await fixture.cleanup();
    await remote.cleanup();
    await home.cleanup();
  }
}

/** Runs `script` (an ES module) in a fresh Node process; it prints a number of milliseconds on stderr. */
function timeInFreshProcess(script: string): Promise<number> {
  return new Promise<number>((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', script], (error, _stdout, stderr) =>
      error ? reject(error) : resolve(Number(stderr.trim())),
    ),
  );
}

const timed = (specifier: string) =>
  `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.error(performance.now() - t);`;

/**
 * Exactly `iterations` runs and no warm-up: tinybench otherwise warms up for 100 ms, which is one more
 * (recorded) release, so the recorded runs would not be the ones the table shows.
 */
const RUNS = (iterations: number) => ({ iterations, warmupIterations: 0, warmupTime: 0, time: 0 });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

// Runs in pairs, one without the plugin and then one with it: on a shared machine the load changes from
// minute to minute, and all runs without followed by all runs with would charge that change to the plugin.
describe('release-it with and without @phpublish/release-it (same sandbox, fresh repository each run)', () => {
  bench(
    'a release without the plugin, then one with it (signed tag, attested zip, Packagist notify + confirm)',
    async () => {
      try {
        const without = await release(false);
        const withPlugin = await release(true);
        record('without', without.wallMs);
        record('with', withPlugin.wallMs);
        record('overhead', withPlugin.wallMs - without.wallMs);
        record('cpu without', without.cpuMs);
        record('cpu with', withPlugin.cpuMs);
        record('cpu overhead', withPlugin.cpuMs - without.cpuMs);
      } catch (error) {
        // A failed release must show, not turn into a missing number.
        console.error(String(error).slice(-3000));
        throw error;
      }
    },
    RUNS(RELEASE_PAIRS),
  );
});

describe('importing the plugin in a fresh Node process', () => {
  // The plugin extends release-it's Plugin class, so importing it cold loads release-it too.
  bench(
    'import @phpublish/release-it (cold: release-it included)',
    async () => {
      record('import', await timeInFreshProcess(timed(PLUGIN)));
    },
    RUNS(IMPORTS),
  );
  bench(
    'import release-it alone',
    async () => {
      record('import release-it', await timeInFreshProcess(timed(RELEASE_IT_ENTRY)));
    },
    RUNS(IMPORTS),
  );
  // What a release pays for the plugin: release-it has loaded its own code before it imports a configured plugin.
  bench(
    'import @phpublish/release-it after release-it is loaded',
    async () => {
      record(
        'import after release-it',
        await timeInFreshProcess(`await import(${JSON.stringify(RELEASE_IT_ENTRY)}); ${timed(PLUGIN)}`),
      );
    },
    RUNS(IMPORTS),
  );
});

afterAll(() => {
  const overhead = median(timings['overhead'] ?? []);
  const share = median(timings['import after release-it'] ?? []);
  const cold = median(timings['import'] ?? []);
  const runs = (name: string) => timings[name]?.length ?? 0;
  const all = (name: string) => (timings[name] ?? []).map((ms) => ms.toFixed(0)).join(', ');
  const ms = (name: string) => `${median(timings[name] ?? []).toFixed(0)} ms`;
  console.log(
    [
      '',
      `release-it release, medians of ${runs('overhead')} pairs: without the plugin ${ms('without')} (${all('without')}), with it ${ms('with')} (${all('with')})`,
      `  plugin overhead: ${overhead.toFixed(0)} ms, median of the pairs' differences (${all('overhead')}) (target ≤ 1500 ms: ${overhead <= 1500 ? 'met' : 'MISSED'})`,
      `  CPU time of release-it's process tree (the sandbox's excluded), medians: without ${ms('cpu without')}, with ${ms('cpu with')}, overhead ${ms('cpu overhead')} (${all('cpu overhead')})`,
      `  import, medians of ${runs('import')}: release-it alone ${ms('import release-it')}, the plugin cold ${cold.toFixed(0)} ms, the plugin after release-it ${share.toFixed(1)} ms`,
      `  the plugin's own import share: ${share.toFixed(1)} ms (target ≤ 200 ms: ${share <= 200 ? 'met' : 'MISSED'}); cold, release-it included: ${cold.toFixed(0)} ms (${cold <= 200 ? 'met' : 'MISSED'})`,
      // Other work on the machine slows both runs, the plugin's (more processes, more crypto) the most.
      `  load average at the end: ${loadavg()[0]?.toFixed(2)} on ${availableParallelism()} CPUs`,
    ].join('\n'),
  );
});
