import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './commands/testing/run-cli.js';
import { EXIT } from './exit-codes.js';

function capture(argv: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  return runCli(argv, { cwd, env: { PATH: process.env['PATH'], ...env } });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'phpublish-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('phpublish', () => {
  describe('when asked for help', () => {
    it('lists every command and the exit codes, and exits 0', async () => {
      const { code, stdout } = await capture(['--help'], dir);
      expect(code).toBe(EXIT.ok);
      expect(stdout).toMatch(/notify\s+Tell Packagist/);
      expect(stdout).toMatch(/rehearse\s+Rehearse a release/);
      expect(stdout).toContain('Exit codes: 0 success, 1 a check or step failed, 2 wrong usage, 70 internal error.');
    });

    it('prints a command’s own help', async () => {
      const { code, stdout } = await capture(['notify', '--help'], dir);
      expect(code).toBe(EXIT.ok);
      expect(stdout).toContain('Usage: phpublish notify <tag>');
    });
  });

  describe('when the command line is wrong', () => {
    it.each([[[]], [['nonsense']], [['notify', '--colour']], [['notify']], [['notify', 'a', 'b']]])(
      'exits 2 for %j',
      async (argv) => {
        const { code, stderr, stdout } = await capture(argv, dir);
        expect(code).toBe(EXIT.usage);
        expect(stderr + stdout).toMatch(/Usage: phpublish/);
      },
    );
  });

  describe('when a step fails', () => {
    it('prints every coded problem with its remedy, no stack trace, no secret, and exits 1', async () => {
      const token = 'ghp_thisIsNotAPackagistTokenButASecret0000';
      await writeFile(join(dir, 'phpublish.config.json'), JSON.stringify({ packagist: { mode: 'token', colour: 1 } }));
      const { code, stderr } = await capture(['notify', 'v1.0.0'], dir, {
        PACKAGIST_USERNAME: 'alice',
        PACKAGIST_API_TOKEN: token,
      });
      expect(code).toBe(EXIT.failed);
      expect(stderr).toContain('CONFIG_UNKNOWN_OPTION: Unknown option `packagist.colour`.');
      expect(stderr).toContain('PACKAGIST_TOKEN_MALFORMED');
      expect(stderr).toMatch(/remedy: /);
      expect(stderr).toMatch(/docs: https:\/\/github\.com\/phpublish\/phpublish\/blob\/main\/docs\//);
      expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(stderr).not.toContain(token);
    });

    it('says when the tag does not exist', async () => {
      const { code, stderr } = await capture(['notify', 'v9.9.9'], dir, {});
      expect(code).toBe(EXIT.failed);
      expect(stderr).toContain('TAG_NOT_FOUND: There is no tag v9.9.9');
    });
  });
});
