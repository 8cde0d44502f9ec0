import { spawn } from 'node:child_process';
import { type GitContext, gitBinary } from './context.js';

export interface GitRunOptions extends GitContext {
  /** Written to git's standard input, byte for byte. */
  input?: Uint8Array | string;
}

export interface GitRunResult {
  exitCode: number;
  /** Raw bytes: tag objects must be read and hashed exactly as stored. */
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs git with an explicit cwd and environment and returns its exit code, raw standard output and
 * standard error. Unlike `git()` it does not reject on a non-zero exit: plumbing callers decide what
 * each failure means. Rejects only when git cannot be started.
 */
export function runGit(args: readonly string[], options: GitRunOptions): Promise<GitRunResult> {
  const { cwd, env, input } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(gitBinary(options), [...args], {
      cwd,
      env: env as NodeJS.ProcessEnv | undefined,
      stdio: 'pipe',
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    // git may exit before reading all of its input (EPIPE); its exit code tells what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** The first line of git's complaint, without its `fatal: `/`error: ` prefix, for error messages. */
export function gitComplaint(result: GitRunResult): string {
  const line = result.stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  return (line ?? `git exited with ${result.exitCode}`).replace(/^(fatal|error): /, '');
}
