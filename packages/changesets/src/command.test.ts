import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordForLeakScan } from '@phpublish/testing/leak-scan';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, main } from './command.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'phpublish-cs-command-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runMain(
  argv: string[],
  { stdin = '', env = {} }: { stdin?: string; env?: Record<string, string> } = {},
) {
  let stdout = '';
  let stderr = '';
  const code = await main({
    argv,
    cwd: dir,
    env: { PATH: process.env['PATH'], ...env },
    stdin: [Buffer.from(stdin)],
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  // What the program printed goes to the suite's leak scan, like the CLI's (runCli).
  recordForLeakScan(`the output of phpublish-changesets ${argv[0] ?? ''}`, `${stdout}\n${stderr}`);
  return { code, stdout, stderr };
}

describe('when the command line is wrong', () => {
  it.each([
    [[]],
    [['release']],
    [['publish', '--bogus']],
    [['publish', '--output']],
    [['publish', '--remote', '--dry-run']],
    [['publish', '--output', '']],
    [['publish', 'v1.2.0']],
    [['publish', '--dry-run', '--dry-run', '--remote=-x']],
  ])('%j exits 2 with the usage line', async (argv) => {
    const { code, stderr } = await runMain(argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('Usage: phpublish-changesets publish');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('when asked for help or the version', () => {
  it('prints them and exits 0', async () => {
    expect((await runMain(['--help'])).stdout).toContain('CHANGESETS_OUTPUT');
    expect((await runMain(['publish', '--help'])).code).toBe(EXIT.ok);
    expect((await runMain(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('when what it reads is not usable', () => {
  it('reports a folder without a workspace as CHANGESETS_WORKSPACE_UNREADABLE, exit 1, no stack trace', async () => {
    const { code, stderr } = await runMain(['publish']);
    expect(code).toBe(EXIT.failed);
    expect(stderr).toContain('CHANGESETS_WORKSPACE_UNREADABLE');
    expect(stderr).toContain('remedy:');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('reports an output that is a device as CHANGESETS_OUTPUT_UNREADABLE, and a broken event as CHANGESETS_OUTPUT_MALFORMED', async () => {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'hello', version: '1.0.0', private: true }));
    const device = await runMain(['publish', '--output', '/dev/zero']);
    expect(device.code).toBe(EXIT.failed);
    expect(device.stderr).toContain('CHANGESETS_OUTPUT_UNREADABLE');
    const fromEnv = await runMain(['publish'], { env: { CHANGESETS_OUTPUT: '/dev/zero' } });
    expect(fromEnv.stderr).toContain('CHANGESETS_OUTPUT_UNREADABLE');
    const piped = await runMain(['publish', '--output', '-'], { stdin: '{"type":"git-tag","tag":"v1.0.0"}\n' });
    expect(piped.code).toBe(EXIT.failed);
    expect(piped.stderr).toContain('CHANGESETS_OUTPUT_MALFORMED');
    expect(piped.stdout).toBe('{"type":"git-tag","tag":"v1.0.0"}\n'); // passed through, as changesets/action v1 reads it
  });

  it('falls back to the untagged versions when the file CHANGESETS_OUTPUT names does not exist (changesets wrote nothing)', async () => {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'hello', version: '1.0.0', private: true }));
    const { code, stderr } = await runMain(['publish'], { env: { CHANGESETS_OUTPUT: join(dir, 'missing.ndjson') } });
    expect(code).toBe(EXIT.ok);
    expect(stderr).toContain('(CHANGESETS_OUTPUT) does not exist; looking for versions not tagged on the remote');
  });

  it('does nothing, successfully, in a workspace without PHP packages (JavaScript packages are none of its business)', async () => {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'hello', version: '1.0.0', private: true }));
    const { code, stderr } = await runMain(['publish', '--output', '-'], { stdin: '🦋  New tag:  v1.0.0\n' });
    expect(code).toBe(EXIT.ok);
    expect(stderr).toContain('nothing to do');
  });
});
