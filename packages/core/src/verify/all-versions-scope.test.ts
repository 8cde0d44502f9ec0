import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SandboxPackagist, startSandboxPackagist } from '@phpublish/sandbox';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { memoryLogger, Redactor } from '../log/index.js';
import { verifyAllVersions } from './all-versions.js';
import { loadPolicy, type VerifyPolicy } from './policy.js';
import { parseSince, type Since } from './since.js';

// The maintainers' monitor decides from one read of the metadata which versions it checks: every
// release (branches are listed apart), and with --since the older ones are listed apart too. A
// release whose time the metadata does not give (or gives as garbage) is checked, never hidden.

let dir: TempDir;
let packagist: SandboxPackagist;
let policy: VerifyPolicy;
const agent = new Agent();

const METADATA = {
  packages: {
    'acme/hello': [
      { name: 'acme/hello', version: 'dev-main', time: '2026-03-02T00:00:00+00:00' },
      { name: 'acme/hello', version: '2.0.0', time: '2026-03-01T00:00:00+00:00' },
      { name: 'acme/hello', version: '1.5.0', time: '' },
      { name: 'acme/hello', version: '1.4.0', time: 1767225600 },
      { name: 'acme/hello', version: '1.0.0', time: '2025-01-01T00:00:00+00:00' },
      { name: 'acme/hello', version: '1.x-dev' },
    ],
  },
};

beforeAll(async () => {
  dir = await makeTempDir('phpublish-monitor-scope-');
  packagist = await startSandboxPackagist();
  // The registry named by the policy itself: the monitor reads where verification will read.
  await writeFile(
    join(dir.path, 'policy.json'),
    JSON.stringify({
      packagistUrl: packagist.url,
      githubApiUrl: 'http://127.0.0.1:9',
      packages: { 'acme/*': { requireSignedTag: false, requireAttestation: false } },
    }),
  );
  policy = await loadPolicy({ file: 'policy.json', cwd: dir.path });
});
afterAll(async () => {
  await packagist.close();
  await agent.close();
  await dir.cleanup();
});

function since(text: string): Since {
  const parsed = parseSince(text);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed;
}

async function monitor(sinceText?: string) {
  // The listing read and the verification session's read both get the same metadata.
  packagist.injectFault({
    path: '/p2/acme/hello.json',
    times: 50,
    fault: { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(METADATA) },
  });
  try {
    return await verifyAllVersions(
      { packageName: 'acme/hello', policy, ...(sinceText ? { since: since(sinceText) } : {}), concurrency: 2 },
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
  } finally {
    packagist.clearFaults();
  }
}

describe('when the monitor lists the versions to check', () => {
  it('checks every release, lists branches apart, and keeps a release whose time is missing or garbage', async () => {
    const report = await monitor();
    expect(report.allVersions).toEqual({
      packageName: 'acme/hello',
      checked: [
        { version: '2.0.0', time: '2026-03-01T00:00:00+00:00' },
        { version: '1.5.0' },
        { version: '1.4.0' },
        { version: '1.0.0', time: '2025-01-01T00:00:00+00:00' },
      ],
      devVersions: ['dev-main', '1.x-dev'],
      beforeSince: [],
    });
    expect(report.packages.map((p) => p.version)).toEqual(['2.0.0', '1.5.0', '1.4.0', '1.0.0']);
    // Entries without a source fail their row (strict): the monitor never passes what it could not check.
    expect(report.packages.every((p) => p.status === 'failed' && p.checks[0]?.code === 'VERIFY_SOURCE_MISSING')).toBe(
      true,
    );
  });

  it('with a --since date, lists older releases apart but still checks those of unknown time', async () => {
    const report = await monitor('2026-01-01');
    expect(report.allVersions.since).toBe('2026-01-01');
    expect(report.allVersions.checked.map((v) => v.version)).toEqual(['2.0.0', '1.5.0', '1.4.0']);
    expect(report.allVersions.beforeSince).toEqual(['1.0.0']);
    expect(report.packages.map((p) => p.version)).toEqual(['2.0.0', '1.5.0', '1.4.0']);
  });
});
