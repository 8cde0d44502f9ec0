import { type SandboxPackagist, startSandboxPackagist } from '@phpublish/sandbox';
import { codeOf } from '@phpublish/testing/errors';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { memoryLogger, Redactor } from '../log/index.js';
import { resolveRelease } from './resolve-release.js';
import { createSession, type VerifySession } from './session.js';

// Which release verify checks, from what the registry's metadata lists: the version asked for, or
// the newest stable one; never a development branch; the locked commit when composer.lock has one.

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const agent = new Agent();
let packagist: SandboxPackagist;
let session: VerifySession;

beforeEach(async () => {
  packagist = await startSandboxPackagist();
  session = createSession(
    {
      cwd: process.cwd(),
      env: {},
      clock: systemClock,
      dispatcher: agent,
      userAgent: 'phpublish-test',
      logger: memoryLogger(),
      redactor: new Redactor(),
      tempDir: '/nonexistent',
      retry: { attempts: 1 },
    },
    { packagistUrl: packagist.url, githubApiUrl: 'http://127.0.0.1:9' },
  );
});
afterEach(async () => packagist.close());
afterAll(async () => agent.close());

/** The registry lists these versions of acme/hello, newest first as p2 does. */
function lists(...entries: Record<string, unknown>[]) {
  const versions = entries.map((entry) => ({ name: 'acme/hello', ...entry }));
  packagist.injectFault({
    path: '/p2/acme/hello.json',
    times: 10,
    fault: { status: 200, body: JSON.stringify({ packages: { 'acme/hello': versions } }) },
  });
}
const at = (reference: string) => ({ source: { type: 'git', url: 'https://github.com/acme/hello.git', reference } });

describe('when no version is asked for', () => {
  it('checks the newest stable release, passing over a newer release candidate and dev branches', async () => {
    lists(
      { version: 'dev-main', ...at(C) },
      { version: 'v2.0.0-RC1', version_normalized: '2.0.0.0-RC1', ...at(B) },
      { version: 'v1.1.0', version_normalized: '1.1.0.0', ...at(A) },
    );
    const { facts } = await resolveRelease({ packageName: 'acme/hello' }, session);
    expect(facts).toMatchObject({ version: 'v1.1.0', commit: A });
  });

  it('checks the newest pre-release when there is no stable one, never a dev branch', async () => {
    lists({ version: 'dev-main', ...at(C) }, { version: 'v2.0.0-beta1', ...at(B) });
    const { facts } = await resolveRelease({ packageName: 'acme/hello' }, session);
    expect(facts).toMatchObject({ version: 'v2.0.0-beta1', commit: B });
  });

  it('fails with VERIFY_VERSION_NOT_LISTED when only dev branches are listed', async () => {
    lists({ version: 'dev-main', ...at(C) });
    expect(await codeOf(resolveRelease({ packageName: 'acme/hello' }, session))).toBe('VERIFY_VERSION_NOT_LISTED');
  });
});

describe('when a development version is asked for', () => {
  it('fails with VERIFY_DEV_VERSION before asking the registry: a branch has no release to verify', async () => {
    expect(await codeOf(resolveRelease({ packageName: 'acme/hello', version: 'dev-main' }, session))).toBe(
      'VERIFY_DEV_VERSION',
    );
    expect(await codeOf(resolveRelease({ packageName: 'acme/hello', version: '1.x-dev' }, session))).toBe(
      'VERIFY_DEV_VERSION',
    );
    expect(packagist.requests).toEqual([]);
  });
});

describe('when the metadata names no commit', () => {
  it('fails with VERIFY_SOURCE_MISSING', async () => {
    lists({ version: 'v1.0.0', dist: { type: 'zip', url: 'https://example.invalid/a.zip' } });
    expect(await codeOf(resolveRelease({ packageName: 'acme/hello', version: 'v1.0.0' }, session))).toBe(
      'VERIFY_SOURCE_MISSING',
    );
  });
});

describe('when composer.lock pins a commit', () => {
  const locked = (reference: string) => ({
    packageName: 'acme/hello',
    version: 'v1.0.0',
    locked: { version: 'v1.0.0', reference, dev: false },
  });

  it('checks the locked commit, and says when the registry serves the version at another', async () => {
    lists({ version: 'v1.0.0', ...at(A) });
    const same = await resolveRelease(locked(A), session);
    expect(same.problem).toBeUndefined();
    expect(same.detail).toMatch(/as locked/);

    const other = await resolveRelease(locked(B), session);
    expect(other.facts.commit).toBe(B);
    expect(other.problem?.code).toBe('VERIFY_REFERENCE_MISMATCH');
  });

  it('goes on with the locked commit when the registry serves a branch name instead of a commit', async () => {
    lists({ version: 'v1.0.0', ...at('main') });
    const resolved = await resolveRelease(locked(A), session);
    expect(resolved.facts.commit).toBe(A);
    expect(resolved.problem?.code).toBe('PACKAGIST_REFERENCE_NOT_COMMIT');
  });
});
