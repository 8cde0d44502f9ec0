import { spawn } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';

export interface GitRunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
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
export function runGit(args: readonly string[], { cwd, env, input }: GitRunOptions): Promise<GitRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...args], { cwd, env: env as NodeJS.ProcessEnv | undefined, stdio: 'pipe' });
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

/** How a git whose standard output went into a file ended. */
export interface GitIntoFileResult {
  /** null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Its first 4 KiB or so, and why it could not start, if it could not. */
  stderr: string;
}

/**
 * Runs git with its standard output going straight into the open file `output` (git writes at
 * that file's offset; `output` is closed here once git has its own copy). `input` is written to
 * its standard input, which is then closed; `signal` kills it. The exit is listened to before
 * anything is awaited: a git with nothing to wait for may be done at once.
 */
export async function runGitIntoFile(
  args: readonly string[],
  { cwd, env, input, signal }: GitRunOptions & { signal?: AbortSignal },
  output: FileHandle,
): Promise<GitIntoFileResult> {
  let stderr = '';
  let closed: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn('git', [...args], {
      cwd,
      env: env as NodeJS.ProcessEnv | undefined,
      stdio: ['pipe', output.fd, 'pipe'],
    });
    const started = child;
    closed = new Promise((resolve) =>
      started.on('close', (exitCode, endedBy) => resolve({ exitCode, signal: endedBy })),
    );
    child.on('error', (error) => {
      stderr += String(error);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    // git may exit before reading all of its input (EPIPE); its exit code tells what happened.
    child.stdin!.on('error', () => {});
  } finally {
    await output.close();
  }
  const stop = () => child.kill();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    child.stdin!.end(input ?? '');
    return { ...(await closed), stderr };
  } finally {
    signal?.removeEventListener('abort', stop);
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
