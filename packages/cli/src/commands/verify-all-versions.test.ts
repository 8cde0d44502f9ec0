import { readFile } from 'node:fs/promises';
import { loadSigningKey } from '@phpublish/core/pgp';
import { generateTestKey } from '@phpublish/testing/pgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import {
  type CliRun,
  explainOnFailure,
  PACKAGE,
  reportOf,
  startVerifyFixture,
  type VerifyFixture,
} from './testing/verify-fixture.js';

interface MonitorJson {
  packages: { version: string; status: string; checks: { check: string; status: string; code?: string }[] }[];
  summary: { verified: number; failed: number };
  allVersions: {
    packageName: string;
    since?: string;
    checked: { version: string; time?: string }[];
    devVersions: string[];
    beforeSince: string[];
  };
}

let fixture: VerifyFixture;

beforeAll(async () => {
  fixture = await startVerifyFixture();
  await fixture.release('1.0.0');
  await fixture.release('1.1.0');
  await fixture.release('1.2.0-RC1');
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

async function monitor(
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<CliRun & { json: MonitorJson }> {
  const run = await fixture.cli(
    ['verify', PACKAGE, '--all-versions', '--json', '--no-cache', '--policy', fixture.policyFile, ...extra],
    { env },
  );
  return { ...run, json: reportOf(run) as unknown as MonitorJson };
}

/** The code of each failed check of each failed version. */
function flagged(json: MonitorJson): Record<string, Record<string, string>> {
  return Object.fromEntries(
    json.packages
      .filter((p) => p.status === 'failed')
      .map((p) => [p.version, Object.fromEntries(p.checks.filter((c) => c.code).map((c) => [c.check, c.code!]))]),
  );
}

/** What an attacker with the maintainer's (SAFE) Packagist token can do: make Packagist crawl now. */
async function crawlWithStolenToken(): Promise<void> {
  const response = await fetch(`${fixture.packagist.url}/api/update-package`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer alice:${fixture.packagistToken}` },
    body: JSON.stringify({ repository: 'https://github.com/acme/hello' }),
  });
  expect(response.status).toBe(202);
  await fixture.packagist.idle();
}

describe('phpublish verify --all-versions', () => {
  describe('when every version was released through the release process', () => {
    it('verifies each one, stable and pre-release, and exits 0', async () => {
      let run: CliRun | undefined;
      explainOnFailure(() => run);
      const metadataReads = () =>
        fixture.packagist.requests.filter((r) => r.url.startsWith(`/p2/${PACKAGE}.json`)).length;
      const before = metadataReads();
      const checked = await monitor();
      run = checked;
      expect(checked.code).toBe(EXIT.ok);
      // One read to list the versions, one that every version is checked against (not one per version).
      expect(metadataReads() - before).toBe(2);
      expect(checked.json.packages.map((p) => [p.version, p.status])).toEqual([
        ['v1.2.0-RC1', 'verified'],
        ['v1.1.0', 'verified'],
        ['v1.0.0', 'verified'],
      ]);
      expect(checked.json.allVersions.checked.every((v) => typeof v.time === 'string')).toBe(true);
      expect(checked.json.summary).toMatchObject({ verified: 3, failed: 0 });
    });

    it('prints a table of the versions, says dev branches are left out, and writes the job summary', async () => {
      const summaryFile = await fixture.writeFile('step-summary.md', '');
      const run = await fixture.cli(
        ['verify', PACKAGE, '--all-versions', '--no-cache', '--policy', fixture.policyFile],
        {
          env: { GITHUB_STEP_SUMMARY: summaryFile },
        },
      );
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.ok);
      expect(run.stdout).toMatch(/^version\s+released\s+result\s+why$/m);
      expect(run.stdout).toMatch(/^v1\.1\.0\s+\S+\s+verified/m);
      expect(run.stdout).toMatch(/dev branch|Dev branches are not releases/);
      expect(run.stdout).toContain('acme/hello: all 3 versions verified.');
      const summary = await readFile(summaryFile, 'utf8');
      expect(summary).toContain('## phpublish monitor: acme/hello');
      expect(summary).toMatch(/^\| v1\.0\.0 \| [^|]+ \| verified \| {2}\|$/m);
    });
  });

  describe('when versions were pushed outside the release process with a stolen Packagist token', () => {
    beforeAll(async () => {
      // An unsigned tag, never attested…
      await fixture.repo.git(['tag', 'v1.3.0', await fixture.commit('1.3.0')]);
      // …and a tag signed by a key the policy does not trust.
      const mallory = await generateTestKey('ed25519', { userId: { name: 'Mallory', email: 'm@evil.invalid' } });
      const malloryKey = await loadSigningKey({
        armoredKey: mallory.armoredPrivateKey,
        keySource: 'test',
        passphraseSource: 'test',
      });
      await fixture.signTag('v1.4.0', await fixture.commit('1.4.0'), malloryKey);
      await crawlWithStolenToken();
    }, 60_000);

    it('flags each of them with why, and exits 1', async () => {
      let run: CliRun | undefined;
      explainOnFailure(() => run);
      const checked = await monitor();
      run = checked;
      expect(checked.code).toBe(EXIT.failed);
      expect(flagged(checked.json)).toEqual({
        'v1.4.0': { signature: 'VERIFY_TAG_UNTRUSTED_KEY', attestation: 'VERIFY_ATTESTATION_MISSING' },
        'v1.3.0': { signature: 'VERIFY_TAG_UNSIGNED', attestation: 'VERIFY_ATTESTATION_MISSING' },
      });
      expect(checked.json.summary).toMatchObject({ verified: 3, failed: 2 });
    });

    it('says so in the table, the verdict and the job summary', async () => {
      const summaryFile = await fixture.writeFile('step-summary.md', '');
      const run = await fixture.cli(
        ['verify', PACKAGE, '--all-versions', '--no-cache', '--policy', fixture.policyFile],
        {
          env: { GITHUB_STEP_SUMMARY: summaryFile },
        },
      );
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stdout).toMatch(/^v1\.3\.0\s+\S+\s+FAILED\s+tag signature: VERIFY_TAG_UNSIGNED; attestation: /m);
      expect(run.stdout).toContain('acme/hello: 2 of 5 versions FAILED');
      const summary = await readFile(summaryFile, 'utf8');
      expect(summary).toMatch(/^\*\*acme\/hello: 2 of 5 versions FAILED/m);
      expect(summary).toMatch(/^\| v1\.4\.0 \| [^|]+ \| FAILED \| tag signature: VERIFY_TAG_UNTRUSTED_KEY; /m);
    });

    it('--since a version checks that version and later ones only', async () => {
      const checked = await monitor(['--since', '1.3']);
      explainOnFailure(() => checked);
      expect(checked.code).toBe(EXIT.failed);
      expect(checked.json.packages.map((p) => p.version)).toEqual(['v1.4.0', 'v1.3.0']);
      expect(checked.json.allVersions.beforeSince).toEqual(['v1.2.0-RC1', 'v1.1.0', 'v1.0.0']);
      expect(checked.json.allVersions.since).toBe('1.3');
    });

    it('--since a version orders pre-releases before their release, as Composer does', async () => {
      const checked = await monitor(['--since', 'v1.2.0-beta2']);
      explainOnFailure(() => checked);
      expect(checked.json.packages.map((p) => p.version)).toEqual(['v1.4.0', 'v1.3.0', 'v1.2.0-RC1']);
    });

    it('--since a date checks the versions released on or after it', async () => {
      const all = await monitor();
      const time = all.json.allVersions.checked.find((v) => v.version === 'v1.1.0')?.time;
      expect(time).toBeDefined();
      const checked = await monitor(['--since', time!]);
      explainOnFailure(() => checked);
      expect(checked.json.packages.map((p) => p.version)).toEqual(['v1.4.0', 'v1.3.0', 'v1.2.0-RC1', 'v1.1.0']);
      expect(checked.json.allVersions.beforeSince).toEqual(['v1.0.0']);
    });

    it('--since after the stolen versions passes: only what is checked counts', async () => {
      const checked = await monitor(['--since', '2.0.0']);
      explainOnFailure(() => checked);
      expect(checked.code).toBe(EXIT.ok);
      expect(checked.json.packages).toEqual([]);
      expect(checked.json.allVersions.beforeSince).toHaveLength(5);
    });
  });

  describe('when it is asked wrongly', () => {
    it.each([
      [['--all-versions', 'v1.0.0'], '--all-versions checks every version of one package'],
      [['--since', '1.0.0'], '--since applies to --all-versions only'],
      [['--all-versions', '--since', 'last tuesday'], '--since: "last tuesday" is neither a date'],
      [['--all-versions', '--since', '2026-13-45'], '--since: "2026-13-45" is not a date'],
    ])('%j is a usage error', async (args, message) => {
      const run = await fixture.cli(['verify', PACKAGE, ...args, '--policy', fixture.policyFile]);
      expect(run.code).toBe(EXIT.usage);
      expect(run.stderr).toContain(message);
    });

    it('--all-versions with --lock is a usage error', async () => {
      const lock = await fixture.writeLock([]);
      const run = await fixture.cli(['verify', '--lock', lock, '--all-versions', '--policy', fixture.policyFile]);
      expect(run.code).toBe(EXIT.usage);
    });

    it('fails with VERIFY_MONITOR_NOT_COVERED for a package the policy does not cover', async () => {
      const run = await fixture.cli(['verify', 'other/thing', '--all-versions', '--policy', fixture.policyFile]);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('VERIFY_MONITOR_NOT_COVERED');
    });
  });
});
