import { execFile } from 'node:child_process';

/** The fixed moment every test commit starts from, so that commit ids are the same on every run. */
export const TEST_GIT_DATE = '2026-01-01T00:00:00Z';

export const TEST_GIT_IDENTITY = { name: 'Phpublish Test', email: 'test@phpublish.invalid' } as const;

/**
 * An environment for running git in tests: a fixed identity and dates (reproducible commit ids), no
 * system or user configuration (nothing from the machine leaks in: signing, hooks, aliases, templates),
 * `main` as the initial branch and no prompts. Only PATH is taken from the current process.
 */
export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    LC_ALL: 'C',
    GIT_AUTHOR_NAME: TEST_GIT_IDENTITY.name,
    GIT_AUTHOR_EMAIL: TEST_GIT_IDENTITY.email,
    GIT_COMMITTER_NAME: TEST_GIT_IDENTITY.name,
    GIT_COMMITTER_EMAIL: TEST_GIT_IDENTITY.email,
    GIT_AUTHOR_DATE: TEST_GIT_DATE,
    GIT_COMMITTER_DATE: TEST_GIT_DATE,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    // Same as `git -c init.defaultBranch=main`, but it also reaches git processes that code under test starts.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'init.defaultBranch',
    GIT_CONFIG_VALUE_0: 'main',
    ...extra,
  };
}

export interface GitOptions {
  /** Defaults to `gitEnv()`. */
  env?: Record<string, string>;
  /** Written to git's standard input. */
  input?: string;
}

export class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | string | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (${exitCode}): ${stderr.trim()}`);
    this.name = 'GitCommandError';
  }
}

/** Runs git in `cwd` and resolves to its standard output; rejects with its standard error on failure. */
export function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...args],
      { cwd, env: options.env ?? gitEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new GitCommandError(args, error.code ?? null, stderr));
        else resolve(stdout);
      },
    );
    // git may exit before reading its input (EPIPE); its exit status reports what matters.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}
