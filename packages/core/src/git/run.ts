import { type ChildProcess, spawn } from 'node:child_process';
import { type GitContext, gitBinary } from './context.js';

export interface GitRunOptions extends GitContext {
  /** Written to git's standard input, byte for byte. */
  input?: Uint8Array | string;
  /**
   * Stop git after this many milliseconds: git and everything it started (ssh, credential helpers,
   * a local remote's receive-pack and hooks) are killed as one process group, and the result says
   * `timedOut`. For commands that talk to a remote, which can hang; none by default.
   */
  timeoutMs?: number;
}

export interface GitRunResult {
  exitCode: number;
  /** Raw bytes: tag objects must be read and hashed exactly as stored. */
  stdout: Buffer;
  stderr: string;
  /** git was stopped at `timeoutMs` (its exit code is then that of a killed process). */
  timedOut?: boolean;
}

/**
 * Runs git with an explicit cwd and environment and returns its exit code, raw standard output and
 * standard error. Unlike `git()` it does not reject on a non-zero exit: plumbing callers decide what
 * each failure means. Rejects only when git cannot be started.
 */
export function runGit(args: readonly string[], options: GitRunOptions): Promise<GitRunResult> {
  const { cwd, env, input, timeoutMs } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(gitBinary(options), [...args], {
      cwd,
      env: env as NodeJS.ProcessEnv | undefined,
      stdio: 'pipe',
      // Its own process group, so that a timeout stops what git started too (a hung ssh, a hook).
      detached: timeoutMs !== undefined,
    });
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            killProcessGroup(child);
          }, timeoutMs);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
        ...(timedOut ? { timedOut } : {}),
      });
    });
    // git may exit before reading all of its input (EPIPE); its exit code tells what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** Kills a detached child's whole process group (just the child where groups do not exist: Windows). */
function killProcessGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    // Already gone.
  }
}

/** The first line of git's complaint, without its `fatal: `/`error: ` prefix, for error messages. */
export function gitComplaint(result: GitRunResult): string {
  const line = result.stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  return (line ?? `git exited with ${result.exitCode}`).replace(/^(fatal|error): /, '');
}
