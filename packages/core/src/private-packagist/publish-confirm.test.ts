import {
  type SandboxOidcIssuer,
  type SandboxPrivatePackagist,
  startSandboxOidcIssuer,
  startSandboxPrivatePackagist,
} from '@phpublish/sandbox';
import { codeOf } from '@phpublish/testing/errors';
import { gitEnv } from '@phpublish/testing/git';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { virtualClock } from '../clock.js';
import { memoryLogger } from '../log/index.js';
import { createReleaseContext } from '../release/context.js';
import { publishToPrivatePackagist } from './publish.js';

// What happens after the artifact upload of trusted publishing: the upload of a later version, the
// wait for the organisation's Composer repository to serve the zip, and what a re-run then does.

const ORG = 'acme-org';
const PACKAGE = { packageName: 'acme/hello' };
let repo: PhpPackageRepo;
let first: string;
let second: string;
let issuer: SandboxOidcIssuer;
let pp: SandboxPrivatePackagist;

beforeAll(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] });
  first = repo.head;
  second = await repo.commit({ 'src/Later.php': '<?php // later\n' }, 'Later');
  await repo.tag('v1.1.0');
});
afterAll(async () => repo.cleanup());
beforeEach(async () => {
  issuer = await startSandboxOidcIssuer();
  pp = await startSandboxPrivatePackagist({ githubIssuer: issuer });
  pp.addTrustedPublisher(ORG, {
    packageName: 'acme/hello',
    owner: 'acme',
    repository: 'hello',
    workflow: 'release.yml',
  });
});
afterEach(async () => {
  await pp.close();
  await issuer.close();
});

interface ContextOptions {
  confirm?: { enabled?: boolean; timeout?: number; onTimeout?: 'fail' | 'warn' };
  /** Drops the job's ID token request variables (a workflow without `id-token: write`). */
  withoutIdToken?: boolean;
}

function context(options: ContextOptions = {}) {
  const logger = memoryLogger();
  // Starts now: the HMAC signatures carry the clock's time, which Private Packagist checks.
  const clock = virtualClock({ startMs: Date.now() });
  const job = { ...issuer.gitHubActionsJob({ repository: 'acme/hello', sha: repo.head }).env };
  if (options.withoutIdToken) {
    delete job['ACTIONS_ID_TOKEN_REQUEST_URL'];
    delete job['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
  }
  const ctx = createReleaseContext({
    cwd: repo.dir,
    env: { ...gitEnv(), ...job },
    logger,
    clock,
    retry: { attempts: 1 },
    options: {
      attest: { enabled: false },
      packagist: {
        mode: 'private-packagist',
        privatePackagist: { organization: ORG, url: pp.url, repositoryUrl: pp.repositoryUrl(ORG) },
        confirm: { timeout: 30, ...options.confirm },
      },
    },
  });
  return { ctx, logger, clock };
}

const uploads = () => pp.requests.filter((r) => r.method === 'POST' && r.url.startsWith('/api/packages')).length;
/** The organisation's repository answers as if it listed no package at all (its dumper is behind). */
const repositoryLagsBehind = () =>
  pp.injectFault({ path: /\/p2\//, fault: { status: 200, body: '{"packages":{}}' }, times: 1000 });

describe('when a later version of an artifact package is released', () => {
  it('uploads it to the existing package instead of creating one', async () => {
    const { ctx, logger } = context();
    const created = await publishToPrivatePackagist(ctx, PACKAGE, { version: 'v1.0.0', commit: first });
    expect(created.notified).toBe('artifact-package-created');

    const later = await publishToPrivatePackagist(ctx, PACKAGE, { version: 'v1.1.0', commit: second });
    expect(later).toMatchObject({ notified: 'artifact-uploaded', confirmation: 'served', credential: 'oidc' });
    expect(logger.lines.join('\n')).toMatch(/acme-hello-1\.1\.0\.zip published as acme\/hello v1\.1\.0\./);
    expect(
      pp
        .versions(ORG, 'acme/hello')
        .map((v) => v.version)
        .sort(),
    ).toEqual(['1.0.0', '1.1.0']);
  });
});

describe('when the organisation repository does not serve the uploaded zip before the deadline', () => {
  it('fails with PACKAGIST_CONFIRM_TIMEOUT, and a re-run sends nothing once the repository serves it', async () => {
    repositoryLagsBehind();
    const { ctx, clock } = context();
    const release = { version: 'v1.0.0', commit: first };
    const error = await publishToPrivatePackagist(ctx, PACKAGE, release).catch((e: unknown) => e);
    expect(await codeOf(Promise.reject(error))).toBe('PACKAGIST_CONFIRM_TIMEOUT');
    expect(String(error)).toMatch(/not listed yet/);
    // It polled with backoff up to the configured 30 s, not beyond.
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(30_000);
    expect(pp.versions(ORG, 'acme/hello')).toHaveLength(1);

    pp.clearFaults();
    const before = uploads();
    const rerun = await publishToPrivatePackagist(context().ctx, PACKAGE, release);
    expect(rerun).toMatchObject({ notified: 'already-served', confirmation: 'served' });
    expect(uploads()).toBe(before);
  });

  it('warns instead with confirm.onTimeout: warn, and says the repository was not answering when it was down', async () => {
    // Listed as absent first (so the zip is uploaded), then the repository is down until the deadline.
    pp.injectFault({ path: /\/p2\//, fault: { status: 200, body: '{"packages":{}}' }, times: 1 });
    pp.injectFault({ path: /\/p2\//, fault: { status: 503 }, times: 1000 });
    const { ctx, logger } = context({ confirm: { onTimeout: 'warn' } });
    const outcome = await publishToPrivatePackagist(ctx, PACKAGE, { version: 'v1.0.0', commit: first });
    expect(outcome).toMatchObject({ notified: 'artifact-package-created', confirmation: 'timed-out-warned' });
    expect(logger.lines.join('\n')).toMatch(/PACKAGIST_CONFIRM_TIMEOUT[\s\S]*not answering/);
    expect(pp.versions(ORG, 'acme/hello')).toHaveLength(1);
  });
});

describe('when the confirmation is turned off', () => {
  it('uploads and reports the release as not checked, without reading the repository afterwards', async () => {
    const { ctx } = context({ confirm: { enabled: false } });
    const reads = () => pp.requests.filter((r) => r.url.includes('/p2/')).length;
    const outcome = await publishToPrivatePackagist(ctx, PACKAGE, { version: 'v1.0.0', commit: first });
    expect(outcome).toMatchObject({ notified: 'artifact-package-created', confirmation: 'not-checked' });
    // One read: the one that decides the package's kind and whether the version is already there.
    expect(reads()).toBe(1);
  });
});

describe('when the job may not request an ID token (no id-token: write)', () => {
  it('fails with PRIVATE_PACKAGIST_ID_TOKEN_PERMISSION_MISSING before any upload', async () => {
    const { ctx } = context({ withoutIdToken: true });
    expect(await codeOf(publishToPrivatePackagist(ctx, PACKAGE, { version: 'v1.0.0', commit: first }))).toBe(
      'PRIVATE_PACKAGIST_ID_TOKEN_PERMISSION_MISSING',
    );
    expect(uploads()).toBe(0);
    expect(pp.versions(ORG, 'acme/hello')).toEqual([]);
  });
});
