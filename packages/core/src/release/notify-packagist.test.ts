import { type PackagistFixture, REPOSITORY_URL as REPO_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey } from '@phpublish/testing/pgp';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { virtualClock } from '../clock.js';
import { isPhpublishError, type PhpublishAggregateError } from '../errors/index.js';
import { memoryLogger } from '../log/index.js';
import { PHPUBLISH_VERSION } from '../version.js';
import { createReleaseContext } from './context.js';
import { notifyPackagist } from './notify-packagist.js';
import { preflight } from './preflight.js';

// What semantic-release hands plugins when the plain push check fails: a URL with a git token.
const HOST_URL_WITH_TOKEN = 'https://x-access-token:ghs_0123456789abcdefghijABCDEFGHIJ@github.com/acme/hello.git';

let fixture: PackagistFixture;
let packagist: PackagistFixture['packagist'];
let repo: PackagistFixture['repo'];
let user: PackagistFixture['alice'];
let agent: Agent;

beforeEach(async () => {
  fixture = await startPackagistFixture();
  ({ packagist, repo, alice: user } = fixture);
  agent = new Agent();
});

afterEach(async () => {
  await agent.close();
  await fixture.cleanup();
});

function setup(
  options: {
    mode?: string;
    token?: string | null;
    createIfMissing?: boolean;
    timeout?: number;
    onTimeout?: string;
    repositoryUrl?: string;
  } = {},
) {
  const logger = memoryLogger();
  const clock = virtualClock({ realTimeScale: 0.01 });
  // As in GitHub Actions: the repository URL comes from the CI's variables.
  const env: Record<string, string> = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/hello' };
  if (options.token !== null) {
    env['PACKAGIST_USERNAME'] = 'alice';
    env['PACKAGIST_API_TOKEN'] = options.token ?? user.safeToken;
  }
  const context = createReleaseContext({
    cwd: repo.dir,
    env,
    logger,
    clock,
    dispatcher: agent,
    options: {
      // These tests are about Packagist; attestation has its own.
      attest: { enabled: false },
      packagist: {
        mode: options.mode ?? 'auto',
        url: packagist.url,
        repoUrl: packagist.url,
        createIfMissing: options.createIfMissing ?? false,
        ...(options.repositoryUrl ? { repositoryUrl: options.repositoryUrl } : {}),
        confirm: { timeout: options.timeout ?? 120, onTimeout: options.onTimeout ?? 'fail' },
      },
    },
  });
  return { context, logger, clock };
}

const posts = () => packagist.requests.filter((r) => r.method === 'POST').map((r) => r.url);

describe('notifyPackagist', () => {
  describe('in token mode', () => {
    it('requests an update and confirms the version is served at the tagged commit', async () => {
      const { context, logger } = setup();
      const { target } = await preflight(context, { hostRepositoryUrl: HOST_URL_WITH_TOKEN });
      expect(target).toEqual({ packageName: 'acme/hello', repositoryUrl: REPO_URL });
      const outcome = await notifyPackagist(context, target, { version: 'v1.0.0', commit: repo.head });
      expect(outcome).toMatchObject({ notified: 'update-package', confirmation: 'served' });
      expect(outcome.entry?.source?.reference).toBe(repo.head);
      expect(posts()).toEqual(['/api/update-package']);
      expect(logger.lines.join('\n')).toContain(`Packagist serves acme/hello v1.0.0 at ${repo.head.slice(0, 12)}`);
      // Every request names the product and its version.
      const agents = new Set(packagist.requests.map((r) => r.headers['user-agent']));
      expect([...agents]).toEqual([
        `phpublish/${PHPUBLISH_VERSION} (+https://github.com/phpublish/phpublish) node/${process.versions.node}`,
      ]);
    });

    it('resumes on a re-run: a version already served at the commit is not notified again', async () => {
      const first = setup();
      const { target } = await preflight(first.context);
      await notifyPackagist(first.context, target, { version: 'v1.0.0', commit: repo.head });
      const second = setup();
      const outcome = await notifyPackagist(second.context, target, { version: 'v1.0.0', commit: repo.head });
      expect(outcome).toMatchObject({ notified: 'already-served', confirmation: 'served' });
      expect(posts()).toEqual(['/api/update-package']);
    });

    it('keeps confirming through a Packagist outage while waiting', async () => {
      const { context } = setup();
      const { target } = await preflight(context);
      packagist.injectFault({ path: '/p2/acme/hello.json', times: 8, fault: { status: 503, body: 'down' } });
      const outcome = await notifyPackagist(context, target, { version: 'v1.0.0', commit: repo.head });
      expect(outcome.confirmation).toBe('served');
    });

    it('reports a failed update job at once, with Packagist’s message', async () => {
      const { context } = setup();
      const { target } = await preflight(context);
      packagist.injectFault({
        path: /^\/jobs\//,
        times: 100,
        fault: {
          status: 200,
          body: JSON.stringify({
            status: 'failed',
            message: 'Update of acme/hello failed, invalid composer.json metadata',
          }),
        },
      });
      packagist.injectFault({ path: '/p2/acme/hello.json', times: 100, fault: { status: 404, body: '' } });
      const error = await notifyPackagist(context, target, { version: 'v1.0.0', commit: repo.head }).catch((e) => e);
      expect(error.code).toBe('PACKAGIST_JOB_FAILED');
      expect(error.message).toContain('invalid composer.json metadata');
    });
  });

  describe('when the tag was moved after Packagist published the version', () => {
    it('fails in preflight, before anything is sent', async () => {
      const { context: first } = setup();
      const { target } = await preflight(first);
      await notifyPackagist(first, target, { version: 'v1.0.0', commit: repo.head });
      const moved = await repo.commit({ 'src/Extra.php': '<?php\n' }, 'Change after release');
      await repo.tag('v1.0.0', { force: true });
      const { context } = setup();
      const error = (await preflight(context, { release: { version: 'v1.0.0', commit: moved } }).catch(
        (e) => e,
      )) as PhpublishAggregateError;
      expect(error.errors.map((e) => e.code)).toEqual(['PACKAGIST_VERSION_AT_OTHER_COMMIT']);
      expect(posts()).toEqual(['/api/update-package']);
    });

    it('is an error, not success, when Packagist keeps the old commit after the crawl', async () => {
      // Published at the first commit by someone else's crawl; then the tag moves and we notify.
      await packagist.crawlNow('acme/hello');
      const original = repo.head;
      const moved = await repo.commit({ 'src/Extra.php': '<?php\n' }, 'Change after release');
      await repo.tag('v1.0.0', { force: true });
      const { context } = setup();
      const error = await notifyPackagist(
        context,
        { packageName: 'acme/hello', repositoryUrl: REPO_URL },
        { version: 'v1.0.0', commit: moved },
      ).catch((e) => e);
      expect(error.code).toBe('PACKAGIST_VERSION_AT_OTHER_COMMIT');
      expect(error.message).toContain(original);
    });
  });

  describe('in GitHub App mode (no token)', () => {
    it('sends nothing, says so, and still confirms once the app’s crawl happened', async () => {
      const { context, logger } = setup({ token: null });
      expect(context.config.packagist.mode).toBe('github-app');
      const { target } = await preflight(context);
      // The GitHub App's push hook, simulated by the sandbox crawling on its own shortly after.
      setTimeout(() => void packagist.crawlNow('acme/hello'), 20);
      const outcome = await notifyPackagist(context, target, { version: 'v1.0.0', commit: repo.head });
      expect(outcome).toMatchObject({ notified: 'github-app', confirmation: 'served' });
      expect(posts()).toEqual([]);
      expect(logger.lines.join('\n')).toMatch(/GitHub App/);
    });

    it('fails with PACKAGIST_CONFIRM_TIMEOUT when nothing updates Packagist', async () => {
      const { context, clock } = setup({ token: null, timeout: 30 });
      const { target } = await preflight(context);
      const error = await notifyPackagist(context, target, { version: 'v1.0.0', commit: repo.head }).catch((e) => e);
      expect(error.code).toBe('PACKAGIST_CONFIRM_TIMEOUT');
      expect(error.message).toContain('within 30 s');
      // Backoff between polls, bounded by the deadline.
      expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(10_000);
    });

    it('only warns on timeout when configured to', async () => {
      const { context, logger } = setup({ token: null, timeout: 30, onTimeout: 'warn' });
      const { target } = await preflight(context);
      const outcome = await notifyPackagist(context, target, { version: 'v1.0.0', commit: repo.head });
      expect(outcome.confirmation).toBe('timed-out-warned');
      expect(logger.lines.some((l) => l.startsWith('warn: PACKAGIST_CONFIRM_TIMEOUT'))).toBe(true);
      expect(logger.lines.some((l) => l.includes('Waiting for Packagist to serve acme/hello v1.0.0'))).toBe(true);
    });
  });

  describe('when the package is not on Packagist yet', () => {
    let fresh: PhpPackageRepo;
    beforeEach(async () => {
      fresh = await createPhpPackageRepo({ name: 'acme/fresh', tags: ['v0.1.0'] });
      packagist.addRemote('https://github.com/acme/fresh', fresh.dir);
    });
    afterEach(async () => {
      await fresh.cleanup();
    });

    function freshContext(options: Parameters<typeof setup>[0]) {
      const { context, logger } = setup({ ...options, repositoryUrl: 'https://github.com/acme/fresh' });
      return { context: { ...context, cwd: fresh.dir }, logger };
    }

    it('preflight says so unless creating is enabled', async () => {
      const { context } = freshContext({});
      const error = (await preflight(context, { hostRepositoryUrl: 'https://github.com/acme/fresh' }).catch(
        (e) => e,
      )) as PhpublishAggregateError;
      expect(error.errors.map((e) => e.code)).toEqual(['PACKAGIST_NOT_LISTED']);
    });

    it('creates it with the main token, then updates and confirms', async () => {
      const { context } = freshContext({ token: user.mainToken, createIfMissing: true });
      const { target } = await preflight(context, { hostRepositoryUrl: 'https://github.com/acme/fresh' });
      const outcome = await notifyPackagist(context, target, { version: 'v0.1.0', commit: fresh.head });
      expect(outcome).toMatchObject({ notified: 'created-and-updated', confirmation: 'served' });
      expect(posts()).toEqual(['/api/update-package', '/api/create-package', '/api/update-package']);
    });

    it('explains that the SAFE token cannot create', async () => {
      const { context } = freshContext({ createIfMissing: true });
      const { target } = await preflight(context, { hostRepositoryUrl: 'https://github.com/acme/fresh' });
      const error = await notifyPackagist(context, target, { version: 'v0.1.0', commit: fresh.head }).catch((e) => e);
      expect(isPhpublishError(error, 'PACKAGIST_MAIN_TOKEN_REQUIRED')).toBe(true);
    });
  });

  describe('preflight', () => {
    it('reports every problem together, without side effects', async () => {
      await repo.commit(
        { 'composer.json': JSON.stringify({ name: 'Acme/Hello', version: '1.0.0' }) },
        'Break composer.json',
      );
      const { context } = setup({ repositoryUrl: 'https://github.com' });
      const error = (await preflight(context).catch((e) => e)) as PhpublishAggregateError;
      expect(error.errors.map((e) => e.code).sort()).toEqual(
        ['COMPOSER_JSON_INVALID', 'PACKAGE_NAME_INVALID', 'REPOSITORY_URL_INVALID'].sort(),
      );
      expect(packagist.requests).toEqual([]);
    });

    it('decrypts the signing key, and reports a wrong passphrase with the other problems', async () => {
      const key = await generateTestKey('ed25519', { passphrase: 'right horse battery' });
      const env = {
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'acme/hello',
        PACKAGIST_USERNAME: 'alice',
        PACKAGIST_API_TOKEN: user.safeToken,
        PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
      };
      const options = { attest: { enabled: false }, packagist: { url: packagist.url, repoUrl: packagist.url } };
      const good = createReleaseContext({
        cwd: repo.dir,
        env: { ...env, PHPUBLISH_GPG_PASSPHRASE: 'right horse battery' },
        options,
        logger: memoryLogger(),
        dispatcher: agent,
      });
      const { signingKey } = await preflight(good);
      expect(signingKey?.fingerprint).toBe(key.fingerprint);

      const bad = createReleaseContext({
        cwd: repo.dir,
        env: { ...env, PHPUBLISH_GPG_PASSPHRASE: 'wrong staple' },
        options,
        logger: memoryLogger(),
        dispatcher: agent,
      });
      const error = (await preflight(bad, { release: { version: 'not-a-version' } }).catch(
        (e) => e,
      )) as PhpublishAggregateError;
      expect(error.errors.map((e) => e.code).sort()).toEqual(['PACKAGIST_VERSION_INVALID', 'SIGNING_PASSPHRASE_WRONG']);
      expect(error.format()).not.toContain('wrong staple');
    });

    it('reports an unreachable Packagist', async () => {
      const { context } = setup();
      await packagist.close();
      const error = (await preflight(context).catch((e) => e)) as PhpublishAggregateError;
      expect(error.errors.map((e) => e.code)).toEqual(['PACKAGIST_UNREACHABLE']);
    });
  });
});
