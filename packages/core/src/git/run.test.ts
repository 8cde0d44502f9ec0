import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gitEnv, git as testGit } from '@phpublish/testing/git';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatFileBatch } from './batch.js';
import { git, remoteUrl } from './exec.js';
import { gitComplaint, runGit } from './run.js';

let temp: TempDir;
let repo: string;
/** Programs standing in for a git that misbehaves: the runner must report what happened, not hang or crash. */
let killedBySignal: string;
let silentFailure: string;
let garbageAnswer: string;
const missingGit = '/nonexistent/phpublish-test/git';

async function script(name: string, body: string): Promise<string> {
  const path = join(temp.path, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  temp = await makeTempDir('phpublish-git-run-');
  repo = join(temp.path, 'repo');
  await testGit(temp.path, ['init', '--quiet', repo], { env: gitEnv() });
  killedBySignal = await script('killed-git', 'kill -9 $$');
  silentFailure = await script('silent-git', 'exit 3');
  garbageAnswer = await script('garbage-git', 'cat >/dev/null & echo "this is not a cat-file header at all"; wait');
});

afterAll(async () => {
  await temp.cleanup();
});

describe('when git cannot be started', () => {
  it('rejects with the system’s reason, naming the git command', async () => {
    await expect(runGit(['status'], { cwd: repo, git: missingGit })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(git(['status'], { cwd: repo, git: missingGit })).rejects.toThrow(/^git status failed: .*ENOENT/);
  });

  it('reads a remote it cannot ask for as no remote, rather than failing the caller', async () => {
    expect(await remoteUrl({ cwd: repo, git: missingGit })).toBeUndefined();
  });

  it('fails a cat-file reader with its coded error instead of waiting for an answer', async () => {
    const reader = new CatFileBatch({ cwd: repo, git: missingGit });
    try {
      reader.request(['HEAD']);
      await expect(reader.next()).rejects.toMatchObject({ code: 'ARCHIVE_GIT_FAILED' });
    } finally {
      await reader.close();
    }
  });
});

describe('when git stops without saying why', () => {
  it('reports a git killed by a signal as failed (exit 128), never as a success', async () => {
    const result = await runGit(['status'], { cwd: repo, git: killedBySignal });
    expect(result.exitCode).toBe(128);
    expect(gitComplaint(result)).toBe('git exited with 128');
  });

  it('names the command and its exit code when git exits non-zero with nothing on stderr', async () => {
    await expect(git(['tag', '-l'], { cwd: repo, git: silentFailure })).rejects.toThrow(
      'git tag failed: Command failed: git tag -l (exit code 3)',
    );
  });

  it('keeps only the first line of what git said, without its "fatal: " prefix', () => {
    const said = (stderr: string) => gitComplaint({ exitCode: 128, stdout: Buffer.alloc(0), stderr });
    expect(said('\n  fatal: not a git repository\nhint: run git init\n')).toBe('not a git repository');
    expect(said('error: failed to push some refs')).toBe('failed to push some refs');
  });
});

describe('when git answers cat-file --batch with something else', () => {
  it('refuses the answer with ARCHIVE_GIT_FAILED and quotes it', async () => {
    const reader = new CatFileBatch({ cwd: repo, git: garbageAnswer });
    try {
      reader.request(['HEAD']);
      const failure = reader.next();
      await expect(failure).rejects.toMatchObject({ code: 'ARCHIVE_GIT_FAILED' });
      await expect(failure).rejects.toThrow('this is not a cat-file header at all');
    } finally {
      await reader.close();
    }
  });
});
