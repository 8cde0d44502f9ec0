import { codeOf } from '@phpublish/testing/errors';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { virtualClock } from '../clock.js';
import { isPhpublishError } from '../errors/index.js';
import { memoryLogger } from '../log/index.js';
import { PHPUBLISH_VERSION } from '../version.js';
import { PackagistClient } from './client.js';
import { LISTING_GRACE_MS, waitForVersion } from './confirm.js';

// Waiting for Packagist to serve a release: the outcomes other than "served", each a coded error
// that says why waiting longer would not help (or a timeout that says what was last seen).

let fixture: PackagistFixture;
let agent: Agent;

beforeEach(async () => {
  fixture = await startPackagistFixture();
  agent = new Agent();
});
afterEach(async () => {
  await agent.close();
  await fixture.cleanup();
});

function setup() {
  const clock = virtualClock({ realTimeScale: 0.01 });
  const logger = memoryLogger();
  const client = new PackagistClient({
    apiUrl: fixture.packagist.url,
    repoUrl: fixture.packagist.url,
    dispatcher: agent,
    clock,
    userAgent: `phpublish/${PHPUBLISH_VERSION} (test)`,
    credentials: { username: 'alice', token: fixture.alice.safeToken },
    timeoutMs: 2000,
  });
  const wait = (input: { version: string; commit: string; jobIds?: string[]; timeoutMs?: number }) =>
    waitForVersion({ client, clock, logger, packageName: 'acme/hello', timeoutMs: 120_000, ...input });
  return { client, clock, logger, wait };
}

describe('when Packagist serves the version at another commit', () => {
  it('fails at once with PACKAGIST_VERSION_AT_OTHER_COMMIT, naming both commits', async () => {
    await fixture.packagist.crawlNow('acme/hello');
    const { wait, clock } = setup();
    const other = 'f'.repeat(40);
    const error = await wait({ version: 'v1.0.0', commit: other }).catch((e: unknown) => e);
    expect(isPhpublishError(error, 'PACKAGIST_VERSION_AT_OTHER_COMMIT')).toBe(true);
    expect(String(error)).toContain(fixture.repo.head);
    expect(String(error)).toContain(other);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('when the update job completed but the version never appears', () => {
  it('fails with PACKAGIST_VERSION_NOT_LISTED after the grace period, not at the timeout', async () => {
    const { client, wait, clock } = setup();
    const { jobs } = await client.updatePackage(REPOSITORY_URL);
    await fixture.packagist.crawlNow('acme/hello');
    // v9.9.9 is no tag of the repository: the crawl completes and lists only v1.0.0.
    const started = clock.now();
    const error = await wait({ version: 'v9.9.9', commit: fixture.repo.head, jobIds: jobs }).catch((e: unknown) => e);
    expect(isPhpublishError(error, 'PACKAGIST_VERSION_NOT_LISTED')).toBe(true);
    const waited = clock.now() - started;
    expect(waited).toBeGreaterThanOrEqual(LISTING_GRACE_MS);
    expect(waited).toBeLessThan(120_000);
  });
});

describe('when the update job failed', () => {
  it('fails at once with PACKAGIST_JOB_FAILED and the job’s message', async () => {
    const { client, wait } = setup();
    const { jobs } = await client.updatePackage(REPOSITORY_URL);
    fixture.packagist.injectFault({
      path: `/jobs/${jobs[0]}`,
      times: 100,
      fault: { status: 200, body: JSON.stringify({ status: 'errored', message: 'composer.json is invalid' }) },
    });
    const error = await wait({ version: 'v2.0.0', commit: fixture.repo.head, jobIds: jobs }).catch((e: unknown) => e);
    expect(isPhpublishError(error, 'PACKAGIST_JOB_FAILED')).toBe(true);
    expect(String(error)).toContain('composer.json is invalid');
  });
});

describe('when the version does not appear before the deadline', () => {
  it('fails with PACKAGIST_CONFIRM_TIMEOUT, saying what it last saw and writing progress lines meanwhile', async () => {
    const { wait, logger } = setup();
    expect(await codeOf(wait({ version: 'v9.9.9', commit: fixture.repo.head, timeoutMs: 30_000 }))).toBe(
      'PACKAGIST_CONFIRM_TIMEOUT',
    );
    expect(logger.lines.join('\n')).toMatch(/Waiting for Packagist to serve acme\/hello v9\.9\.9/);
  });
});
