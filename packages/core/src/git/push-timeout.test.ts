import { readFileSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git, gitEnv } from '@phpublish/testing/git';
import { createBareRemote, createPhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { pushTag } from './signed-tag.js';

/** Whether a process still runs (a zombie waiting to be reaped does not). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('when the remote holds the push longer than its timeout (a hung remote)', () => {
  it('stops git and what it started, says TAG_PUSH_TIMED_OUT, and a re-run pushes the tag', async () => {
    const env = gitEnv();
    const repo = await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] });
    const remote = await createBareRemote();
    try {
      // The remote's pre-receive hook hangs once (its `sleep` stands for a remote that never answers).
      const hook = join(remote.dir, 'hooks', 'pre-receive');
      await writeFile(
        hook,
        '#!/bin/sh\nif [ -f hang-once ]; then rm -f hang-once; sleep 60 & echo $! > sleep.pid; wait; fi\nexit 0\n',
      );
      await chmod(hook, 0o755);
      await writeFile(join(remote.dir, 'hang-once'), '');

      const started = Date.now();
      const error = await pushTag({ cwd: repo.dir, env, tag: 'v1.0.0', remote: remote.dir, timeoutMs: 1000 }).catch(
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(isPhpublishError(error, 'TAG_PUSH_TIMED_OUT')).toBe(true);
      expect((error as Error).message).toContain('within 1 s');
      // The hook's sleep went with git: nothing of the push is left running.
      const sleeper = Number((await readFile(join(remote.dir, 'sleep.pid'), 'utf8')).trim());
      await expect.poll(() => running(sleeper), { timeout: 5000 }).toBe(false);
      expect(await git(remote.dir, ['tag', '--list'], { env })).toBe('');

      expect(await pushTag({ cwd: repo.dir, env, tag: 'v1.0.0', remote: remote.dir, timeoutMs: 10_000 })).toEqual({
        pushed: true,
      });
      expect(await git(remote.dir, ['rev-parse', 'refs/tags/v1.0.0'], { env })).toBe(
        await git(repo.dir, ['rev-parse', 'refs/tags/v1.0.0'], { env }),
      );
    } finally {
      await remote.cleanup();
      await repo.cleanup();
    }
  }, 30_000);
});
