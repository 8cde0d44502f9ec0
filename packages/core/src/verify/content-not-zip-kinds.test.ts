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

// More of what a dist URL may serve instead of a zip (see content-not-zip.test.ts): each is named in
// VERIFY_DIST_UNAVAILABLE's reason; a zip that is damaged keeps the archive's own code; a dist too
// large to keep in memory is judged from its scratch file, which is removed afterwards.

let dir: TempDir;
let server: SandboxPackagist;
let session: VerifySession;
const agent = new Agent();

beforeAll(async () => {
  dir = await makeTempDir('phpublish-dist-kinds-');
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

const facts = (distUrl: string) => ({
  packageName: 'acme/hello',
  version: 'v1.0.0',
  commit: 'a'.repeat(40),
  distUrl,
  distType: 'zip',
});

async function contentOf(fault: Parameters<SandboxPackagist['injectFault']>[0]['fault'], file: string) {
  const path = `/dist/${Math.random().toString(16).slice(2)}.zip`;
  server.injectFault({ path, fault });
  return installedContent(facts(`${server.url}${path}`), session, file).catch((e: unknown) => e);
}

describe('when the dist URL serves something else than a zip', () => {
  it.each([
    [
      'an HTML page (a login or error page)',
      '\n  <!DOCTYPE html><html>Sign in</html>',
      'looks like an HTML or XML page',
    ],
    ['a tar archive', `${'a'.padEnd(257, '\0')}ustar\0${'\0'.repeat(250)}`, 'looks like a tar archive'],
    ['nothing at all', '', 'it is empty'],
  ])('fails with VERIFY_DIST_UNAVAILABLE saying it is %s', async (_what, body, hint) => {
    const error = await contentOf({ status: 200, body }, join(dir.path, 'dist.zip'));
    expect(isPhpublishError(error, 'VERIFY_DIST_UNAVAILABLE')).toBe(true);
    expect(String(error)).toContain(hint);
  });
});

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
