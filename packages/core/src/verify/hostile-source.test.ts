import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SandboxPackagist, startSandboxPackagist } from '@phpublish/sandbox';
import { generateTestKey } from '@phpublish/testing/pgp';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { memoryLogger, Redactor } from '../log/index.js';
import { loadPolicy, type VerifyPolicy } from './policy.js';
import { verifyPackages } from './verify-packages.js';

// The registry's metadata says where a release's git repository is. A hostile or broken entry may
// name a local path, one of git's command-running transports, another VCS, or a version that is no
// tag name: none is handed to git. The row fails with VERIFY_SOURCE_MISSING saying why, and with no
// signed commit to compare with, the dist is not judged either.

let dir: TempDir;
let packagist: SandboxPackagist;
let policy: VerifyPolicy;
const agent = new Agent();
const COMMIT = 'a'.repeat(40);

beforeAll(async () => {
  dir = await makeTempDir('phpublish-hostile-source-');
  await mkdir(join(dir.path, 'keys'));
  await writeFile(join(dir.path, 'keys', 'acme.asc'), (await generateTestKey('ed25519')).armoredPublicKey);
  await writeFile(
    join(dir.path, 'policy.json'),
    JSON.stringify({ packages: { 'acme/*': { keys: ['keys/acme.asc'], requireAttestation: false } } }),
  );
  policy = await loadPolicy({ file: 'policy.json', cwd: dir.path });
  packagist = await startSandboxPackagist();
});
afterAll(async () => {
  await packagist.close();
  await agent.close();
  await dir.cleanup();
});

async function verifyWithSource(source: Record<string, unknown>, version = '1.0.0') {
  const entry = {
    name: 'acme/hello',
    version,
    source: { reference: COMMIT, ...source },
    dist: { type: 'zip', url: `${packagist.url}/dist/hello.zip`, reference: COMMIT },
  };
  packagist.injectFault({
    path: '/p2/acme/hello.json',
    times: 10,
    fault: { status: 200, body: JSON.stringify({ packages: { 'acme/hello': [entry] } }) },
  });
  try {
    const report = await verifyPackages(
      {
        targets: [{ packageName: 'acme/hello', version }],
        policy,
        endpoints: { packagistUrl: packagist.url, githubApiUrl: 'http://127.0.0.1:9' },
      },
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
    );
    return report.packages[0]!;
  } finally {
    packagist.clearFaults();
  }
}

describe('when the metadata names a source git must not be given', () => {
  const marker = () => join(dir.path, 'pwned');
  it.each([
    ['a local path', () => ({ type: 'git', url: '/etc' }), /over https, ssh or git only, not from \/etc/],
    ['a file: URL', () => ({ type: 'git', url: 'file:///etc' }), /not from file:\/\/\/etc/],
    ['git’s ext:: transport', () => ({ type: 'git', url: `ext::sh -c touch% ${marker()}` }), /not from ext::/],
    ['a Mercurial repository', () => ({ type: 'hg', url: 'https://hg.example/acme/hello' }), /names no git repository/],
    ['no repository at all', () => ({ type: 'git' }), /names no git repository/],
  ])('fails the tag row with VERIFY_SOURCE_MISSING for %s, and judges no dist', async (_what, source, reason) => {
    const report = await verifyWithSource(source());
    expect(report.status).toBe('failed');
    const rows = Object.fromEntries(report.checks.map((c) => [c.check, c]));
    expect(rows['tag']).toMatchObject({ status: 'failed', code: 'VERIFY_SOURCE_MISSING' });
    expect(rows['tag']!.detail).toMatch(reason);
    expect(rows['content']).toMatchObject({ status: 'skipped' });
    expect(packagist.requests.some((r) => r.url.startsWith('/dist/'))).toBe(false);
    expect(existsSync(marker())).toBe(false);
  });
});
