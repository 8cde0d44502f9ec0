import { join } from 'node:path';
import { startAttestationSandbox } from '@phpublish/sandbox';
import { gitEnv } from './git.js';
import { startPackagistFixture } from './packagist-fixture.js';
import type { TestKey } from './pgp/index.js';
import { createBareRemote } from './php-package-repo.js';
import { makeTempDir } from './temp-dir.js';

/** What a test runner's test context offers that a release job needs (vitest's TestContext has it). */
export interface TestHooks {
  onTestFinished(cleanup: () => Promise<void>): void;
  onTestFailed(report: () => void): void;
}

/** What the job's GITHUB_TOKEN may do (a workflow's `permissions:`). */
export interface JobPermissions {
  contents?: 'read' | 'write';
  attestations?: 'read' | 'write';
}

export interface ReleaseJobOptions {
  /** Names the tool in the output shown when the test fails. */
  tool: string;
  /** Options for the Packagist stand-in. */
  sandbox?: NonNullable<Parameters<typeof startPackagistFixture>[0]>['sandbox'];
}

/**
 * The world of one host tool's release job in an E2E test: its own Packagist (with the package's
 * repository), Sigstore and GitHub stand-ins, a bare remote and a HOME, started together and
 * removed when the test ends, so that tests can run side by side. What the test appends to
 * `output.text` (the tool's output) is shown when the test fails.
 */
export async function startReleaseWorld(test: TestHooks, options: ReleaseJobOptions) {
  const [fixture, attestation, remote, home] = await Promise.all([
    startPackagistFixture({ tags: [], ...(options.sandbox ? { sandbox: options.sandbox } : {}) }),
    startAttestationSandbox(),
    createBareRemote(),
    makeTempDir('phpublish-release-job-home-'),
  ]);
  test.onTestFinished(async () => {
    await attestation.close();
    await fixture.cleanup();
    await remote.cleanup();
    await home.cleanup();
  });
  const output = { text: '' };
  test.onTestFailed(() => console.error(`${options.tool} output:\n${output.text}`));

  /**
   * The environment of a GitHub Actions release job on a push to main at `sha`, with
   * `id-token: write`, a GITHUB_TOKEN, Packagist credentials and the signing key; `extra` last.
   */
  function actionsEnv(job: {
    sha: string;
    key: TestKey;
    permissions?: JobPermissions;
    extra?: Record<string, string>;
  }): Record<string, string> {
    const { env } = attestation.githubIssuer.gitHubActionsJob({
      repository: 'acme/hello',
      ref: 'refs/heads/main',
      eventName: 'push',
      sha: job.sha,
    });
    return {
      ...gitEnv(),
      ...env,
      HOME: home.path,
      GITHUB_API_URL: attestation.github.url,
      GITHUB_TOKEN: attestation.github.issueToken(
        'acme/hello',
        job.permissions ?? { contents: 'write', attestations: 'write' },
      ),
      GITHUB_STEP_SUMMARY: join(home.path, 'summary.md'),
      PACKAGIST_USERNAME: 'alice',
      PACKAGIST_API_TOKEN: fixture.alice.safeToken,
      PHPUBLISH_GPG_PRIVATE_KEY: job.key.armoredPrivateKey,
      ...(job.key.passphrase ? { PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE: job.key.passphrase } : {}),
      ...job.extra,
    };
  }

  return { fixture, attestation, remote, home, output, actionsEnv };
}
