import { execFile } from 'node:child_process';

/** What creating a ref came to, as GitHub's `POST /repos/:owner/:repo/git/refs` answers it. */
export type CreateRefOutcome = 'created' | 'exists' | 'no-object' | 'invalid';

const ZERO = '0'.repeat(40);

/**
 * GitHub's git.createRef on a real repository folder: `ref` (`refs/tags/v1.2.3`) pointing at the
 * object `sha`, never replacing an existing ref (GitHub answers 422 "Reference already exists").
 * What changesets/action does for each release tag in its default mode: a lightweight tag.
 */
export async function createGitRef(gitDir: string, ref: string, sha: string): Promise<CreateRefOutcome> {
  if (!/^refs\/[^\s]+$/.test(ref) || !/^[0-9a-f]{40}$/.test(sha)) return 'invalid';
  if ((await git(gitDir, ['check-ref-format', ref])) !== 0) return 'invalid';
  if ((await git(gitDir, ['cat-file', '-e', sha])) !== 0) return 'no-object';
  // The all-zero old value: the update fails when the ref exists, atomically.
  return (await git(gitDir, ['update-ref', ref, sha, ZERO])) === 0 ? 'created' : 'exists';
}

function git(gitDir: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['--git-dir', gitDir, ...args],
      { env: { PATH: process.env['PATH'], GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } },
      (error) => resolve(error ? Number((error as { code?: unknown }).code ?? 1) || 1 : 0),
    );
  });
}
