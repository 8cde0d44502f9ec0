import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type SandboxPackagist, startSandboxPackagist } from '@phpublish/sandbox';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { isPhpublishError } from '../errors/index.js';
import { memoryLogger, Redactor } from '../log/index.js';
import { installedContent } from './content.js';
import { createSession, type VerifySession } from './session.js';

// What Composer would install cannot be digested when the dist is not a zip: the coded error says
// what the bytes look like instead (an API's JSON error, another compression), so the user knows
// whether the registry, a proxy or the package is at fault.

let dir: TempDir;
let server: SandboxPackagist;
let session: VerifySession;
const agent = new Agent();

beforeAll(async () => {
  dir = await makeTempDir('phpublish-dist-');
  server = await startSandboxPackagist();
  session = createSession(
    {
      cwd: dir.path,
      env: {},
      clock: systemClock,
      dispatcher: agent,
      userAgent: 'phpublish-test',
      logger: memoryLogger(),
      redactor: new Redactor(),
      tempDir: dir.path,
      retry: { attempts: 1 },
    },
    { packagistUrl: server.url, githubApiUrl: 'http://127.0.0.1:9' },
  );
});
afterAll(async () => {
  await server.close();
  await agent.close();
  await dir.cleanup();
});

const facts = (distUrl?: string) => ({
  packageName: 'acme/hello',
  version: 'v1.0.0',
  commit: 'a'.repeat(40),
  ...(distUrl ? { distUrl, distType: 'zip' } : {}),
});

describe('when the dist URL serves something that is not a zip', () => {
  it.each([
    ['an API error in JSON', '{"message":"API rate limit exceeded"}', 'looks like JSON'],
    ['bzip2 data', 'BZh91AY&SY not really', 'looks like bzip2'],
    ['plain text', 'Service temporarily unavailable', 'not a zip'],
    [
      'an HTML page (a login or error page)',
      '\n  <!DOCTYPE html><html>Sign in</html>',
      'looks like an HTML or XML page',
    ],
    ['a tar archive', `${'a'.padEnd(257, '\0')}ustar\0${'\0'.repeat(250)}`, 'looks like a tar archive'],
    ['nothing at all', '', 'it is empty'],
  ])('fails with VERIFY_DIST_UNAVAILABLE saying it is %s', async (_what, body, hint) => {
    const path = `/dist/${Math.random().toString(16).slice(2)}.zip`;
    server.injectFault({ path, fault: { status: 200, body } });
    const error = await installedContent(facts(`${server.url}${path}`), session, join(dir.path, 'dist.zip')).catch(
      (e: unknown) => e,
    );
    expect(isPhpublishError(error, 'VERIFY_DIST_UNAVAILABLE')).toBe(true);
    expect(String(error)).toContain(hint);
  });
});

describe('when the metadata names no dist', () => {
  it('fails with VERIFY_DIST_UNAVAILABLE, saying Composer would install from source', async () => {
    const error = await installedContent(facts(), session, join(dir.path, 'dist.zip')).catch((e: unknown) => e);
    expect(isPhpublishError(error, 'VERIFY_DIST_UNAVAILABLE')).toBe(true);
    expect(String(error)).toMatch(/install from source/);
  });
});

async function contentOf(fault: Parameters<SandboxPackagist['injectFault']>[0]['fault'], file: string) {
  const path = `/dist/${Math.random().toString(16).slice(2)}.zip`;
  server.injectFault({ path, fault });
  return installedContent(facts(`${server.url}${path}`), session, file).catch((e: unknown) => e);
}

describe('when the dist is a damaged zip', () => {
  it('keeps the archive’s own code, not “not a zip”', async () => {
    // An end record naming a central directory of one entry where there is only filler.
    const end = `PK\x05\x06\0\0\0\0\x01\0\x01\0\x2e\0\0\0\0\0\0\0\0\0`;
    const error = await contentOf({ status: 200, body: `${'x'.repeat(46)}${end}` }, join(dir.path, 'damaged.zip'));
    expect(isPhpublishError(error, 'ARCHIVE_ZIP_INVALID')).toBe(true);
  });
});

describe('when a dist that is not a zip is too large to keep in memory', () => {
  it('judges it from the scratch file, and removes that file', async () => {
    const file = join(dir.path, 'large.zip');
    const error = await contentOf({ oversize: { bytes: 65 * 1024 * 1024, declared: true } }, file);
    expect(isPhpublishError(error, 'VERIFY_DIST_UNAVAILABLE')).toBe(true);
    expect(String(error)).toContain('not a zip');
    expect(existsSync(file)).toBe(false);
  });
});
