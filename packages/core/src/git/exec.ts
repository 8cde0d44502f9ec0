import type { GitContext } from './context.js';
import { runGit } from './run.js';

/** Where git runs (the one context type of the git module; kept under this name for its callers). */
export type GitOptions = GitContext;

/**
 * Runs git (through runGit, the one runner) and resolves to its standard output as text without
 * the trailing newline; rejects when git fails, with what it said.
 */
export async function git(args: string[], context: GitOptions): Promise<string> {
  const result = await runGit(args, context).catch((error: unknown) => {
    throw new Error(`git ${args[0]} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  });
  if (result.exitCode !== 0) {
    const problem = result.stderr.trim() || `Command failed: git ${args.join(' ')} (exit code ${result.exitCode})`;
    throw new Error(`git ${args[0]} failed: ${problem}`, { cause: result });
  }
  return result.stdout.toString('utf8').replace(/\n$/, '');
}

/** The URL of a remote, or undefined when there is none (or cwd is not a repository). */
export async function remoteUrl(options: GitOptions, remote = 'origin'): Promise<string | undefined> {
  try {
    return (await git(['remote', 'get-url', remote], options)) || undefined;
  } catch {
    return undefined;
  }
}
