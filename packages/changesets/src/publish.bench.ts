import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAttestationSandbox } from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey } from '@phpublish/testing/pgp';
import { createBareRemote } from '@phpublish/testing/php-package-repo';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { afterAll, bench, describe } from 'vitest';

// Target (issue 18): the publish step adds at most 1.5 s to changesets' own tag step, for one package.
const require = createRequire(import.meta.url);
const CHANGESET = join(dirname(require.resolve('changesets-cli-3/package.json')), 'bin.js');
const BIN = fileURLToPath(new URL('../dist/bin/phpublish-changesets.js', import.meta.url));
const key = await generateTestKey('ed25519');
const timings: Record<string, number[]> = {};
const record = (name: string, ms: number) => {
  timings[name] = [...(timings[name] ?? []), ms];
};

function run(file: string, args: string[], options: { cwd?: string; env?: Record<string, string> }): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [file, ...args], { ...options, timeout: 120_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`${file} ${args.join(' ')} failed: ${stderr}`)) : resolve(),
    ),
  );
}

/**
 * One release of a fresh single-package changesets repository, already versioned (`changeset
 * version` committed and pushed); returns the wall time of `changeset git-tag` alone, or of
 * `changeset git-tag` followed by `phpublish-changesets publish` with every layer on.
 */
async function release(withPublishStep: boolean): Promise<number> {
  const fixture = await startPackagistFixture({ tags: [] });
  const services = await startAttestationSandbox();
  services.github.addRepository('acme/hello');
  const remote = await createBareRemote();
  const home = await makeTempDir('phpublish-cs-bench-');
  try {
    fixture.packagist.addRemote(REPOSITORY_URL, remote.dir);
    await fixture.repo.commit(
      {
        'package.json': JSON.stringify({ name: 'hello', version: '1.1.0', private: true }),
        '.changeset/config.json': JSON.stringify({
          changelog: false,
          commit: false,
          baseBranch: 'main',
          privatePackages: { version: true, tag: true },
        }),
      },
      'Version Packages',
    );
    await fixture.repo.git(['remote', 'add', 'origin', remote.dir]);
    await fixture.repo.git(['push', '-q', '-u', 'origin', 'main']);
    const config = join(home.path, 'phpublish.config.json');
    await writeFile(
      config,
      JSON.stringify({
        // No timestamp authority, as by default: the Rekor entry dates the signature.
        attest: {
          fulcioUrl: services.sigstore.fulcioUrl,
          rekorUrl: services.sigstore.rekorUrl,
          githubApiUrl: services.github.url,
        },
        packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url },
      }),
    );
    // A changesets/action job on a push to main with `id-token: write`: every layer is on.
    const job = services.githubIssuer.gitHubActionsJob({
      repository: 'acme/hello',
      ref: 'refs/heads/main',
      eventName: 'push',
      sha: (await fixture.repo.git(['rev-parse', 'HEAD'])).trim(),
    });
    const env = {
      ...gitEnv(),
      ...job.env,
      HOME: home.path,
      CHANGESETS_OUTPUT: join(home.path, 'changesets-output.ndjson'),
      GITHUB_API_URL: services.github.url,
      GITHUB_TOKEN: services.github.issueToken('acme/hello', { contents: 'write', attestations: 'write' }),
      PACKAGIST_USERNAME: 'alice',
      PACKAGIST_API_TOKEN: fixture.alice.safeToken,
      PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
    };
    const started = performance.now();
    await run(CHANGESET, ['git-tag'], { cwd: fixture.repo.dir, env });
    if (withPublishStep) await run(BIN, ['publish', '--config', config], { cwd: fixture.repo.dir, env });
    return performance.now() - started;
  } finally {
    await services.close();
    await fixture.cleanup();
    await remote.cleanup();
    await home.cleanup();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

describe('changeset git-tag with and without phpublish-changesets publish (same sandbox, fresh repository each run)', () => {
  bench(
    'changeset git-tag alone',
    async () => {
      record('without', await release(false));
    },
    { iterations: 3, warmupIterations: 0, time: 0 },
  );
  bench(
    'changeset git-tag, then phpublish-changesets publish (signed tag, attested zip, Packagist notify + confirm)',
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

afterAll(() => {
  const overhead = median(timings['with'] ?? []) - median(timings['without'] ?? []);
  console.log(
    [
      '',
      `changesets tag step, median of 3: alone ${median(timings['without'] ?? []).toFixed(0)} ms, with phpublish-changesets publish ${median(timings['with'] ?? []).toFixed(0)} ms`,
      `  publish step overhead: ${overhead.toFixed(0)} ms (target ≤ 1500 ms: ${overhead <= 1500 ? 'met' : 'MISSED'})`,
    ].join('\n'),
  );
});
