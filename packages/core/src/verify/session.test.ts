import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedPublicGoodRoot } from '../attest/trusted-root.js';
import { systemClock } from '../clock.js';
import { type Logger, Redactor } from '../log/index.js';
import { createSession, DEFAULT_ENDPOINTS, publicGoodRootOptions, type VerifyDeps } from './session.js';

let dir: string;
let agent: Agent;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'phpublish-session-'));
  agent = new Agent();
});

afterAll(async () => {
  await agent.close();
  await rm(dir, { recursive: true, force: true });
});

function deps(overrides: Partial<VerifyDeps> = {}): VerifyDeps & { warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = { info: () => {}, success: () => {}, error: () => {}, warn: (line) => warnings.push(line) };
  return {
    cwd: dir,
    env: {},
    clock: systemClock,
    dispatcher: agent,
    userAgent: 'phpublish-test',
    logger,
    redactor: new Redactor(),
    tempDir: dir,
    warnings,
    ...overrides,
  };
}

describe('the verification session’s public-good root', () => {
  describe('when nothing says where to load it from', () => {
    it('is the root shipped with the Sigstore libraries: offline, no TUF', async () => {
      const session = createSession(deps(), DEFAULT_ENDPOINTS);
      expect(await session.publicGoodRoot()).toEqual(shippedPublicGoodRoot());
    });
  });

  describe('when the run has a cache folder', () => {
    it('reads a newer root a refresh kept in its sigstore/ subfolder', async () => {
      const cacheDir = join(dir, 'cache');
      const newer = structuredClone(shippedPublicGoodRoot());
      const authorities = newer['certificateAuthorities'] as { validFor: { start: string } }[];
      authorities.push({ ...structuredClone(authorities.at(-1)!), validFor: { start: '2099-01-01T00:00:00Z' } });
      await mkdir(join(cacheDir, 'sigstore'), { recursive: true });
      await writeFile(join(cacheDir, 'sigstore', 'public-good-trusted-root.json'), JSON.stringify(newer));
      const session = createSession(
        deps({ cache: { dir: cacheDir, phpublishVersion: '0.0.0-test' } }),
        DEFAULT_ENDPOINTS,
      );
      expect(await session.publicGoodRoot()).toEqual(newer);
    });
  });

  describe('when a refresh is asked for', () => {
    it('refreshes into the cache folder and warns (redacted) when it fails', () => {
      const run = deps({ refreshTrustedRoot: true, cache: { dir: join(dir, 'c'), phpublishVersion: '0' } });
      run.redactor.add('s3cr3t-token-value');
      const options = publicGoodRootOptions(run);
      expect(options).toMatchObject({ refresh: true, cachePath: join(dir, 'c', 'sigstore') });
      options.onRefreshFailed!('fetch failed with s3cr3t-token-value');
      expect(run.warnings).toHaveLength(1);
      expect(run.warnings[0]).toContain('could not be refreshed');
      expect(run.warnings[0]).not.toContain('s3cr3t-token-value');
    });
  });
});
