import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitCommandError, git, gitEnv, TEST_GIT_IDENTITY } from './git.js';
import { makeTempDir, type TempDir } from './temp-dir.js';

describe('when running git with the test environment', () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  it('starts repositories on main with the fixed identity and date', async () => {
    await git(dir.path, ['init', '--quiet']);
    await git(dir.path, ['commit', '--quiet', '--allow-empty', '-m', 'first']);
    expect((await git(dir.path, ['symbolic-ref', '--short', 'HEAD'])).trim()).toBe('main');
    const log = await git(dir.path, ['log', '-1', '--format=%an <%ae>|%cn|%aI|%cI']);
    expect(log.trim()).toBe(
      `${TEST_GIT_IDENTITY.name} <${TEST_GIT_IDENTITY.email}>|${TEST_GIT_IDENTITY.name}|2026-01-01T00:00:00+00:00|2026-01-01T00:00:00+00:00`,
    );
  });

  it('makes the same commit id on every run', async () => {
    await git(dir.path, ['init', '--quiet']);
    await git(dir.path, ['commit', '--quiet', '--allow-empty', '-m', 'first']);
    // An empty tree, a fixed identity and a fixed date leave nothing to vary.
    expect((await git(dir.path, ['rev-parse', 'HEAD'])).trim()).toBe(
      (await git(dir.path, ['commit-tree', '-m', 'first', '4b825dc642cb6eb9a060e54bf8d69288fbee4904'])).trim(),
    );
  });

  it('reads no user or system configuration', async () => {
    const env = gitEnv();
    expect(env['GIT_CONFIG_NOSYSTEM']).toBe('1');
    expect(env['GIT_CONFIG_GLOBAL']).toBe('/dev/null');
    const origins = await git(dir.path, ['config', '--list', '--show-origin']);
    expect(origins).not.toMatch(/file:(?!\/dev\/null)\S*config/);
    expect(origins).toContain('init.defaultbranch=main');
  });

  it('rejects with the standard error of a failed command', async () => {
    await git(dir.path, ['init', '--quiet']);
    const failure = git(dir.path, ['rev-parse', '--verify', 'no-such-ref']);
    await expect(failure).rejects.toBeInstanceOf(GitCommandError);
    await expect(failure).rejects.toThrow(/Needed a single revision/);
  });

  it('lets extra variables override the defaults', async () => {
    expect(gitEnv({ GIT_AUTHOR_NAME: 'Someone' })['GIT_AUTHOR_NAME']).toBe('Someone');
  });
});
