import { type GitOptions, git } from './exec.js';

/** The full sha of the commit a ref (tag, branch, sha) points at, or undefined when it does not exist. */
export async function resolveCommit(ref: string, options: GitOptions): Promise<string | undefined> {
  try {
    // `--end-of-options`: a ref that starts with `-` is a name, never an option.
    return await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], options);
  } catch {
    return undefined;
  }
}
