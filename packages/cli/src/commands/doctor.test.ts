import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { EXIT } from '../exit-codes.js';
import { runCli } from './testing/run-cli.js';

// doctor and publish share one preflight: whatever doctor calls fine, publish --dry-run accepts,
// and whatever would stop publish, doctor reports as a problem (exit 1).

let key: TestKey;
let fixture: PackagistFixture;

beforeAll(async () => {
  key = await generateTestKey('ed25519');
});

beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
});

afterEach(async () => {
  await fixture.cleanup();
});

/** A developer's machine: no CI variables at all. */
function localEnv(): Record<string, string> {
  return gitEnv({
    PACKAGIST_USERNAME: 'alice',
    PACKAGIST_API_TOKEN: fixture.alice.safeToken,
    PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
  });
}

async function writeConfig(attest: Record<string, unknown>): Promise<void> {
  await writeFile(
    join(fixture.repo.dir, 'phpublish.config.json'),
    JSON.stringify({
      attest,
      packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, repositoryUrl: REPOSITORY_URL },
    }),
  );
}

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  onTestFailed(() => console.error(`phpublish ${argv.join(' ')}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
  const cli = await runCli(argv, { cwd: fixture.repo.dir, env: localEnv() });
  ({ stdout, stderr } = cli);
  const code = cli.code;
  return { code, stdout, stderr };
}

describe('doctor and publish --dry-run', () => {
  describe('when run outside CI with attestation on (the default)', () => {
    it('both fail, both naming ATTEST_CI_UNSUPPORTED', async () => {
      await writeConfig({});
      const doctor = await run(['doctor', '--json']);
      const dryRun = await run(['publish', 'v1.0.0', '--dry-run']);
      expect(dryRun.code).toBe(EXIT.failed);
      expect(dryRun.stderr).toContain('ATTEST_CI_UNSUPPORTED');
      expect(doctor.code).toBe(EXIT.failed);
      const rows = JSON.parse(doctor.stdout) as { area: string; status: string; codes: string[] }[];
      expect(rows.filter((r) => r.status === 'problem')).toEqual([
        expect.objectContaining({ area: 'Attestation', codes: ['ATTEST_CI_UNSUPPORTED'] }),
      ]);
    });
  });

  describe('when run outside CI with attestation turned off', () => {
    it('both pass, and doctor warns that there is no provenance', async () => {
      await writeConfig({ enabled: false });
      const doctor = await run(['doctor', '--json']);
      const dryRun = await run(['publish', 'v1.0.0', '--dry-run']);
      expect(dryRun.code).toBe(EXIT.ok);
      expect(doctor.code).toBe(EXIT.ok);
      const rows = JSON.parse(doctor.stdout) as { area: string; status: string }[];
      expect(rows.find((r) => r.area === 'Attestation')?.status).toBe('warning');
    });
  });
});
