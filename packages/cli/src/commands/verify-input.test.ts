/**
 * Local input of `phpublish verify` that was misread or misreported: policy and lock files (keys
 * given twice, `__proto__`, a byte order mark, devices and pipes instead of files), lock entries
 * that pin no commit, and command-line values (URLs, numbers, options without their value).
 * Everything runs through the real `main()` against the sandbox, like verify.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import {
  type CliRun,
  explainOnFailure,
  failures,
  type MadeRelease,
  PACKAGE,
  reportOf,
  startVerifyFixture,
  type VerifyFixture,
  type VerifyJson,
} from './testing/verify-fixture.js';

let fixture: VerifyFixture;
let baseline: MadeRelease;
/** The fixture's policy as text, to be changed by hand as an attacker (or a careless editor) would. */
let policyText: string;

beforeAll(async () => {
  fixture = await startVerifyFixture();
  baseline = await fixture.release('1.0.0');
  policyText = await readFile(fixture.policyFile, 'utf8');
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

/** The fixture's policy with `replacement` written over the first `search` in its text. */
function policyWith(search: string, replacement: string): Promise<string> {
  if (!policyText.includes(search)) throw new Error(`the fixture's policy has no ${search}`);
  return fixture.writeFile('policy.json', policyText.replace(search, replacement));
}

async function verifyLock(lock: string, policy = fixture.policyFile): Promise<CliRun & { report: VerifyJson }> {
  const run = await fixture.cli(['verify', '--lock', lock, '--json', '--policy', policy]);
  return { ...run, report: reportOf(run) };
}

describe('phpublish verify, local input', () => {
  describe('when the policy gives a key twice (JSON.parse would keep the last one)', () => {
    it('refuses a second "requireSignedTag": false instead of switching the check off', async () => {
      const policy = await policyWith(
        '"keys": [',
        '"requireSignedTag": true,\n      "requireAttestation": true,\n      "requireSignedTag": false,\n      "keys": [',
      );
      const run = await fixture.cli(['verify', PACKAGE, baseline.tag, '--json', '--policy', policy]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('VERIFY_POLICY_INVALID');
      expect(run.stderr).toMatch(
        /it is not valid JSON: packages\["acme\/hello"\]\.requireSignedTag is given twice in the same object \(line \d+, column \d+\)/,
      );
    });

    it('refuses a package entry given twice, the second one trusting anything', async () => {
      const policy = await policyWith(
        '"packages": {',
        '"packages": {\n    "acme/hello": { "requireSignedTag": false, "requireAttestation": false },',
      );
      const run = await fixture.cli(['verify', PACKAGE, baseline.tag, '--policy', policy]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('VERIFY_POLICY_INVALID');
      expect(run.stderr).toContain('packages["acme/hello"] is given twice');
    });
  });

  describe('when the policy has a "__proto__" key (the schema would drop it silently)', () => {
    it('refuses it with VERIFY_POLICY_INVALID', async () => {
      const policy = await policyWith(
        '"packages": {',
        '"packages": {\n    "__proto__": { "requireSignedTag": false },',
      );
      const run = await fixture.cli(['verify', PACKAGE, baseline.tag, '--policy', policy]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('VERIFY_POLICY_INVALID');
      expect(run.stderr).toContain('packages.__proto__: a "__proto__" key is not allowed');
    });
  });

  describe('when a file starts with a UTF-8 byte order mark (as some Windows editors write)', () => {
    it('reads the policy and composer.lock and verifies', async () => {
      const policy = await fixture.writeFile('policy.json', `\ufeff${policyText}`);
      const lock = await fixture.writeLock([fixture.lockEntry(baseline)], { prefix: '\ufeff' });
      const run = await verifyLock(lock, policy);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.ok);
      expect(run.report.summary).toMatchObject({ verified: 1, failed: 0 });
    });
  });

  describe('when a path names something that is not a regular file', () => {
    it('refuses /dev/zero as the policy at once, saying what it is', async () => {
      const run = await fixture.cli(['verify', PACKAGE, baseline.tag, '--policy', '/dev/zero']);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain(
        'VERIFY_POLICY_INVALID: The policy /dev/zero cannot be used: it is a character device (like /dev/zero or a terminal), not a regular file.',
      );
    });

    it('refuses a named pipe as the policy without waiting for a writer', async () => {
      const pipe = join(fixture.work.path, `pipe-${Math.random().toString(16).slice(2)}`);
      execFileSync('mkfifo', [pipe]);
      const run = await fixture.cli(['verify', PACKAGE, baseline.tag, '--policy', pipe]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('it is a named pipe (FIFO), not a regular file');
    });

    it('refuses /dev/zero as a key file, naming the entry', async () => {
      const policy = await policyWith('"maintainer.asc"', '"/dev/zero"');
      const run = await fixture.cli(['verify', PACKAGE, baseline.tag, '--policy', policy]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('VERIFY_POLICY_INVALID');
      expect(run.stderr).toContain('packages["acme/hello"].keys[0]: /dev/zero is a character device');
    });

    it('refuses a directory as composer.lock', async () => {
      const run = await fixture.cli(['verify', '--lock', fixture.work.path, '--policy', fixture.policyFile]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain(`VERIFY_LOCK_INVALID: ${fixture.work.path} cannot be used: it is a directory`);
    });
  });

  describe('when a composer.lock entry pins no commit', () => {
    it.each([
      ['HEAD', 'HEAD'],
      ['a branch', 'main'],
      ['a short commit id', 'abcdef1'],
    ])('fails that package only, never as a moved tag, when its reference is %s', async (_, reference) => {
      const run = await verifyLock(
        await fixture.writeLock([fixture.lockEntry(baseline), fixture.lockEntry(baseline, { reference })]),
      );
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      const [good, bad] = run.report.packages;
      expect(good!.status).toBe('verified');
      expect(bad!.status).toBe('failed');
      const codes = bad!.checks.filter((c) => c.status === 'failed').map((c) => c.code);
      expect(codes).toEqual(['VERIFY_LOCK_ENTRY_INVALID']);
      expect(run.report.summary).toMatchObject({ verified: 1, failed: 1 });
    });

    it('fails that package only when its reference is not a string, and goes on with the others', async () => {
      const run = await verifyLock(
        await fixture.writeLock([
          fixture.lockEntry(baseline, { reference: { sha: baseline.commit } }),
          fixture.lockEntry(baseline),
          fixture.lockEntry(baseline, { reference: 7 }),
        ]),
      );
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(run.report.packages.map((p) => p.status)).toEqual(['failed', 'verified', 'failed']);
      for (const index of [0, 2]) {
        const checks = run.report.packages[index]!.checks;
        expect(checks.filter((c) => c.status === 'failed').map((c) => c.code)).toEqual(['VERIFY_LOCK_ENTRY_INVALID']);
        // Nothing of a package whose lock entry is unusable is reported as passed.
        expect(checks.some((c) => c.status === 'passed')).toBe(false);
      }
    });

    it('refuses a lock whose package is given twice in one entry', async () => {
      const lock = await fixture.writeFile(
        'composer.lock',
        `{"packages": [{"name": "acme/hello", "version": "${baseline.tag}", "source": {"type": "git", "url": "https://github.com/acme/hello.git", "reference": "${baseline.commit}", "reference": "HEAD"}}]}`,
      );
      const run = await fixture.cli(['verify', '--lock', lock, '--policy', fixture.policyFile]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('VERIFY_LOCK_INVALID');
      expect(run.stderr).toContain('packages[0].source.reference is given twice');
    });
  });

  describe('when a command-line value is wrong, it says which and why (exit 2)', () => {
    it.each([
      [
        ['--packagist-url', 'http://[::1'],
        '--packagist-url takes an http(s) URL, not "http://[::1": it cannot be parsed',
      ],
      [['--github-api-url', 'http://[::1]:99999'], '--github-api-url takes an http(s) URL'],
      [['--packagist-url', 'ftp://example.org'], 'its scheme is ftp: (http or https only)'],
      [['--packagist-url', 'https://exa mple.org'], 'it holds spaces or control characters'],
      [['--packagist-url', 'https://u:s3cret@example.org'], '"https://***@example.org": it holds credentials'],
      [['--packagist-url', 'https://example.org/?x=1'], 'it has a query'],
      [['--concurrency', '-1'], '--concurrency takes a whole number from 1 to 64, not "-1".'],
      [['--concurrency', '0'], '--concurrency takes a whole number from 1 to 64, not "0".'],
      [['--concurrency', '65'], 'from 1 to 64, not "65"'],
      [['--concurrency', '1e1'], 'from 1 to 64, not "1e1"'],
      [['--concurrency', '2.0'], 'from 1 to 64, not "2.0"'],
      [['--concurrency=-5'], 'from 1 to 64, not "-5"'],
      [['--threads', '0x2'], '--threads takes a whole number from 1 to 16, not "0x2".'],
      [['--threads', ' 2'], 'from 1 to 16, not " 2"'],
      [['--request-timeout', '0'], '--request-timeout takes a whole number from 1 to 600, not "0".'],
      [['--request-timeout', '601'], 'from 1 to 600, not "601"'],
      [['--policy'], '--policy needs a value.'],
      [['--policy', ''], '--policy needs a value.'],
      [['--policy', '--json'], '--policy needs a value, not the option "--json"'],
      [['--policy', 'a.json', '--policy', 'b.json'], '--policy is given twice.'],
      [['--json=yes'], '--json takes no value'],
      [['--colour'], 'phpublish verify: unknown option "--colour".'],
      [['-x'], 'phpublish verify: unknown option "-x".'],
    ])('%j', async (args, message) => {
      const run = await fixture.cli(['verify', PACKAGE, '1.0.0', ...args]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.usage);
      expect(run.stderr).toMatch(/^phpublish verify: /);
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain('Usage: phpublish verify');
      expect(run.stderr).not.toContain('ambiguous');
      expect(run.stderr).not.toContain('s3cret');
    });

    it('--request-timeout bounds a request to a server that never answers', async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => void sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as AddressInfo;
      try {
        const started = Date.now();
        const run = await fixture.cli([
          ...['verify', PACKAGE, '1.0.0', '--json', '--policy', fixture.policyFile],
          ...['--packagist-url', `http://127.0.0.1:${port}`, '--request-timeout', '1'],
        ]);
        explainOnFailure(() => run);
        expect(run.code).toBe(EXIT.failed);
        expect(failures(JSON.parse(run.stdout))).toMatchObject({ packagist: expect.any(String) });
        // With the default 30 s per attempt, the retries alone would take minutes.
        expect(Date.now() - started).toBeLessThan(25_000);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    it('takes a value that starts with a dash when written with "="', async () => {
      const run = await fixture.cli(['verify', PACKAGE, '1.0.0', `--policy=-missing.json`]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('-missing.json cannot be used: it does not exist (ENOENT)');
    });

    it('accepts the bounds of each range', async () => {
      const run = await fixture.cli([
        'verify',
        PACKAGE,
        baseline.tag,
        '--json',
        '--concurrency',
        '64',
        '--threads',
        '1',
        '--request-timeout',
        '600',
        '--policy',
        fixture.policyFile,
      ]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.ok);
      expect(failures(JSON.parse(run.stdout))).toEqual({});
    });
  });
});
