import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAttestationSandbox } from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey } from '@phpublish/testing/pgp';
import { createBareRemote } from '@phpublish/testing/php-package-repo';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { afterAll, bench, describe } from 'vitest';

// Targets (issue 6): the plugin adds at most 1.5 s to a release; importing it takes at most 200 ms.
const require = createRequire(import.meta.url);
const SEMANTIC_RELEASE = join(dirname(require.resolve('semantic-release/package.json')), 'bin', 'semantic-release.js');
const PLUGIN = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const key = await generateTestKey('ed25519');
const timings: Record<string, number[]> = {};
const record = (name: string, ms: number) => {
  timings[name] = [...(timings[name] ?? []), ms];
};

function run(file: string, args: string[], options: { cwd?: string; env?: Record<string, string> }): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { ...options, timeout: 120_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`${file} ${args.join(' ')} failed: ${stderr}`)) : resolve(),
    ),
  );
}

/** One complete release of a fresh repository; returns the wall time of semantic-release alone. */
async function release(withPlugin: boolean): Promise<number> {
  const fixture = await startPackagistFixture({ tags: [] });
  const services = await startAttestationSandbox();
  services.github.addRepository('acme/hello');
  services.github.createRelease('acme/hello', 'v1.0.0');
  const remote = await createBareRemote();
  const home = await makeTempDir('phpublish-bench-');
  try {
    await fixture.repo.git(['remote', 'add', 'origin', remote.dir]);
    await fixture.repo.commit({ 'src/Feature.php': '<?php\n' }, 'feat: a feature');
    await fixture.repo.git(['push', '-q', '-u', 'origin', 'main']);
    const plugins: unknown[] = ['@semantic-release/commit-analyzer', '@semantic-release/release-notes-generator'];
    if (withPlugin) {
      plugins.push([
        PLUGIN,
        {
          attest: {
            fulcioUrl: services.sigstore.fulcioUrl,
            rekorUrl: services.sigstore.rekorUrl,
            // No timestamp authority, as by default: the Rekor entry dates the signature.
            githubApiUrl: services.github.url,
          },
          packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url },
        },
      ]);
    }
    await writeFile(
      join(fixture.repo.dir, '.releaserc.json'),
      JSON.stringify({ branches: ['main'], repositoryUrl: `file://${remote.dir}`, plugins }),
    );
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
      PACKAGIST_USERNAME: 'alice',
      PACKAGIST_API_TOKEN: fixture.alice.safeToken,
      PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
    };
    const started = performance.now();
    await run(process.execPath, [SEMANTIC_RELEASE], { cwd: fixture.repo.dir, env });
    return performance.now() - started;
  } finally {
    await services.close();
    await fixture.cleanup();
    await remote.cleanup();
    await home.cleanup();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

describe('semantic-release with and without @phpublish/semantic-release (same sandbox, fresh repository each run)', () => {
  bench(
    'release without the plugin',
    async () => {
      record('without', await release(false));
    },
    { iterations: 3, warmupIterations: 0, time: 0 },
  );
  bench(
    'release with the plugin (signed tag, attested zip, Packagist notify + confirm)',
    async () => {
      try {
        record('with', await release(true));
      } catch (error) {
        // A failed release must show, not turn into a missing number.
        console.error(String(error).slice(-3000));
        throw error;
      }
    },
    { iterations: 3, warmupIterations: 0, time: 0 },
  );
});

describe('importing the plugin in a fresh Node process', () => {
  const importScript = `const t = performance.now(); await import(${JSON.stringify(PLUGIN)}); console.error(performance.now() - t);`;
  bench(
    'import @phpublish/semantic-release',
    async () => {
      const ms = await new Promise<number>((resolve, reject) =>
        execFile(process.execPath, ['--input-type=module', '-e', importScript], (error, _o, stderr) =>
          error ? reject(error) : resolve(Number(stderr.trim())),
        ),
      );
      record('import', ms);
    },
    { iterations: 5, warmupIterations: 1, time: 0 },
  );
});

afterAll(() => {
  const overhead = median(timings['with'] ?? []) - median(timings['without'] ?? []);
  const importMs = median(timings['import'] ?? []);
  console.log(
    [
      '',
      `semantic-release release, median of 3: without plugin ${median(timings['without'] ?? []).toFixed(0)} ms, with plugin ${median(timings['with'] ?? []).toFixed(0)} ms`,
      `  plugin overhead: ${overhead.toFixed(0)} ms (target ≤ 1500 ms: ${overhead <= 1500 ? 'met' : 'MISSED'})`,
      `  plugin import: ${importMs.toFixed(0)} ms median of 5 (target ≤ 200 ms: ${importMs <= 200 ? 'met' : 'MISSED'})`,
    ].join('\n'),
  );
});
