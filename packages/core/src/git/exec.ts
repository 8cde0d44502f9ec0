import { execFile } from 'node:child_process';

export interface GitOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
}

/** Runs git with an explicit cwd and environment; resolves to stdout without the trailing newline. */
export function git(args: string[], { cwd, env }: GitOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd, env: env as NodeJS.ProcessEnv | undefined, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            Object.assign(new Error(`git ${args[0]} failed: ${String(stderr).trim() || error.message}`), {
              cause: error,
            }),
          );
        } else {
          resolve(String(stdout).replace(/\n$/, ''));
        }
      },
    );
  });
}

/** The URL of a remote, or undefined when there is none (or cwd is not a repository). */
export async function remoteUrl(options: GitOptions, remote = 'origin'): Promise<string | undefined> {
  try {
    return (await git(['remote', 'get-url', remote], options)) || undefined;
  } catch {
    return undefined;
  }
}
