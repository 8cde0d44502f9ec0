import { type ChildProcess, spawn } from 'node:child_process';
import { type GitRunOptions, type GitRunResult, runGit } from '../git/run.js';

/** Runs git commands: in this process, or through a helper process. */
export interface GitRunner {
  run(args: readonly string[], options: GitRunOptions): Promise<GitRunResult>;
  close(): Promise<void>;
}

export const inProcessGit: GitRunner = { run: runGit, close: async () => {} };

/**
 * The helper's code: runs each git command it is sent and sends back exit code and output.
 * Plain CommonJS, evaluated with `node -e`, so it needs no file and no module of ours.
 */
const HELPER_SOURCE = `
const { spawn } = require('node:child_process');
process.on('message', ({ id, args, cwd, env, input }) => {
  const child = spawn('git', args, { cwd, env, stdio: 'pipe' });
  const out = [];
  const err = [];
  child.stdout.on('data', (chunk) => out.push(chunk));
  child.stderr.on('data', (chunk) => err.push(chunk));
  child.on('error', (error) => process.send({ id, error: error.message }));
  child.on('close', (code, signal) =>
    process.send({ id, exitCode: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }),
  );
  child.stdin.on('error', () => {});
  child.stdin.end(input ?? '');
});
process.on('disconnect', () => process.exit(0));
`;

interface HelperAnswer {
  id: number;
  error?: string;
  exitCode?: number;
  stdout?: Uint8Array;
  stderr?: string;
}

/**
 * Starts git through a small helper process. Starting a process from this one blocks its thread
 * for as long as the kernel takes to copy its page tables, which grows with its memory (tens of
 * milliseconds once Sigstore and OpenPGP are loaded); the helper is small, and blocks only itself.
 * Same commands, same environment, same results as `runGit`. When the helper cannot start, git
 * runs from this process.
 */
export function startGitHelper(): GitRunner {
  let child: ChildProcess | undefined;
  let failed = false;
  let nextId = 0;
  const pending = new Map<number, { resolve(result: GitRunResult): void; reject(error: Error): void }>();
  const rejectAll = (reason: string) => {
    for (const { reject } of pending.values()) reject(new Error(reason));
    pending.clear();
  };
  const helper = (): ChildProcess | undefined => {
    if (failed) return undefined;
    if (child) return child;
    child = spawn(process.execPath, ['-e', HELPER_SOURCE], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
      env: {},
    });
    child.on('message', (answer: HelperAnswer) => {
      const waiting = pending.get(answer.id);
      if (!waiting) return;
      pending.delete(answer.id);
      if (answer.error !== undefined) waiting.reject(Object.assign(new Error(answer.error), { code: 'ENOENT' }));
      else
        waiting.resolve({
          exitCode: answer.exitCode ?? 1,
          stdout: Buffer.from(answer.stdout ?? new Uint8Array()),
          stderr: answer.stderr ?? '',
        });
    });
    child.on('error', () => {
      failed = true;
      rejectAll('the git helper process could not start');
    });
    child.on('exit', () => {
      child = undefined;
      rejectAll('the git helper process stopped');
    });
    return child;
  };
  return {
    run: (args, options) => {
      const target = helper();
      if (!target?.connected) return runGit(args, options);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        target.send({ id, args: [...args], cwd: options.cwd, env: options.env, input: options.input });
      });
    },
    close: async () => {
      const running = child;
      if (!running?.connected) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.disconnect();
      await exited;
    },
  };
}
