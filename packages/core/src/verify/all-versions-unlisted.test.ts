import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SandboxPackagist, startSandboxPackagist } from '@phpublish/sandbox';
import { generateTestKey } from '@phpublish/testing/pgp';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { isPhpublishError } from '../errors/index.js';
import { memoryLogger, Redactor } from '../log/index.js';
import { verifyAllVersions } from './all-versions.js';
import { loadPolicy, type VerifyPolicy } from './policy.js';

// The maintainers' monitor of a package the registry does not list: a coded error naming where it
// looked, never a report that passes because there was nothing to check.

let dir: TempDir;
let packagist: SandboxPackagist;
let policy: VerifyPolicy;
const agent = new Agent();

beforeAll(async () => {
  dir = await makeTempDir('phpublish-monitor-');
  await mkdir(join(dir.path, 'keys'));
  await writeFile(join(dir.path, 'keys', 'acme.asc'), (await generateTestKey('ed25519')).armoredPublicKey);
  const identity = { repository: 'acme/{name}', workflow: '.github/workflows/release.yml' };
  await writeFile(
    join(dir.path, 'policy.json'),
    JSON.stringify({ packages: { 'acme/*': { keys: ['keys/acme.asc'], identities: [identity] } } }),
  );
  policy = await loadPolicy({ file: 'policy.json', cwd: dir.path });
  packagist = await startSandboxPackagist();
});
afterAll(async () => {
  await packagist.close();
  await agent.close();
  await dir.cleanup();
});

function monitor(packageName: string) {
  return verifyAllVersions(
    { packageName, policy, endpoints: { packagistUrl: packagist.url, githubApiUrl: 'http://127.0.0.1:9' } },
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
  ).catch((e: unknown) => e);
}

describe('when the registry does not list the monitored package', () => {
  it('fails with VERIFY_PACKAGE_NOT_FOUND, naming the metadata URL it read', async () => {
    const error = await monitor('acme/unknown');
    expect(isPhpublishError(error, 'VERIFY_PACKAGE_NOT_FOUND')).toBe(true);
    expect(String(error)).toContain(`${packagist.url}/p2/acme/unknown.json`);
  });

  it('says the same when the metadata lists no version at all', async () => {
    packagist.injectFault({
      path: '/p2/acme/empty.json',
      fault: { status: 200, body: JSON.stringify({ packages: { 'acme/empty': [] } }) },
    });
    expect(isPhpublishError(await monitor('acme/empty'), 'VERIFY_PACKAGE_NOT_FOUND')).toBe(true);
  });
});
