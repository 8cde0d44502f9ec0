import { startAttestationSandbox } from '@phpublish/sandbox';
import { startPackagistFixture } from './packagist-fixture.js';
import { createBareRemote } from './php-package-repo.js';
import { makeTempDir } from './temp-dir.js';

/** What a test runner's test context offers that a release job needs (vitest's TestContext has it). */
export interface TestHooks {
  onTestFinished(cleanup: () => Promise<void>): void;
  onTestFailed(report: () => void): void;
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
  return { fixture, attestation, remote, home, output };
}
