import { type SandboxPackagist, startSandboxPackagist } from '@phpublish/sandbox';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedPublicGoodRoot } from '../attest/trusted-root.js';
import { systemClock } from '../clock.js';
import { memoryLogger, Redactor } from '../log/index.js';
import { createSession, type VerifyDeps } from './session.js';

// What the verification session reads once for all the packages of a run (the metadata of a
// package, the public-good trusted root), and that a failed read is not kept: the next package
// tries again instead of failing on the first one's bad luck.

let dir: TempDir;
let packagist: SandboxPackagist;
const agent = new Agent();

beforeAll(async () => {
  dir = await makeTempDir('phpublish-session-reads-');
  packagist = await startSandboxPackagist();
});
afterAll(async () => {
  await packagist.close();
  await agent.close();
  await dir.cleanup();
});

function deps(overrides: Partial<VerifyDeps> = {}): VerifyDeps {
  return {
    cwd: dir.path,
    env: {},
    clock: systemClock,
    dispatcher: agent,
    userAgent: 'phpublish-test',
    logger: memoryLogger(),
    redactor: new Redactor(),
    tempDir: dir.path,
    retry: { attempts: 1 },
    ...overrides,
  };
}

const endpoints = () => ({ packagistUrl: packagist.url, githubApiUrl: 'http://127.0.0.1:9' });
const metadataReads = (name: string) => packagist.requests.filter((r) => r.url === `/p2/${name}.json`).length;

describe('when several packages of a run need the same metadata', () => {
  it('reads it once, whatever the letter case of the name', async () => {
    const body = JSON.stringify({ packages: { 'acme/once': [{ name: 'acme/once', version: '1.0.0' }] } });
    packagist.injectFault({ path: '/p2/acme/once.json', times: 5, fault: { status: 200, body } });
    const session = createSession(deps(), endpoints());
    const first = await session.metadata('acme/once');
    expect(await session.metadata('ACME/Once')).toBe(first);
    expect(first).toMatchObject({ state: 'found' });
    expect(metadataReads('acme/once')).toBe(1);
    packagist.clearFaults();
  });

  it('does not keep a read that failed: the next package reads again', async () => {
    packagist.injectFault({ path: '/p2/acme/flaky.json', fault: { reset: true } });
    const session = createSession(deps(), endpoints());
    const first = await session.metadata('acme/flaky').then(
      (r) => r,
      (e: unknown) => e,
    );
    expect(first).not.toMatchObject({ state: 'found' });
    const body = JSON.stringify({ packages: { 'acme/flaky': [{ name: 'acme/flaky', version: '1.0.0' }] } });
    packagist.injectFault({ path: '/p2/acme/flaky.json', fault: { status: 200, body } });
    expect(await session.metadata('acme/flaky')).toMatchObject({ state: 'found' });
    expect(metadataReads('acme/flaky')).toBe(2);
  });
});

describe('when the public-good trusted root is needed', () => {
  it('loads it once for the run, and tries again after a failed load', async () => {
    let loads = 0;
    const session = createSession(
      deps({
        loadPublicGoodRoot: async () => {
          loads += 1;
          if (loads === 1) throw new Error('TUF repository unreachable');
          return shippedPublicGoodRoot();
        },
      }),
      endpoints(),
    );
    await expect(session.publicGoodRoot()).rejects.toThrow(/unreachable/);
    expect(await session.publicGoodRoot()).toEqual(shippedPublicGoodRoot());
    expect(await session.publicGoodRoot()).toEqual(shippedPublicGoodRoot());
    expect(loads).toBe(2);
  });
});

describe('when the run has a cache folder', () => {
  it('gives the session a verification cache there, and none without one', () => {
    expect(createSession(deps(), endpoints()).cache).toBeUndefined();
    const cached = createSession(deps({ cache: { dir: dir.path, phpublishVersion: '1.0.0' } }), endpoints());
    expect(cached.cache?.stats).toEqual({ hits: 0, misses: 0, rejected: 0, written: 0 });
  });
});
