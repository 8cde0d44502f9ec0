import { mkdir, rm } from 'node:fs/promises';
import { contentDigestOfRef, type RefDigest } from '../archive/digest.js';
import { runGit } from '../git/run.js';
import { withoutSigningSecrets } from '../git/signed-tag.js';
import { fetchTagArgs, unreachable } from './fetch-tag.js';

/**
 * The content-tree digest of a release's tagged commit: what git exports of it (export-ignore,
 * export-subst), which is what a dist built from that commit holds. It lets `phpublish verify`
 * compare what Composer installs with the signed commit when the policy requires no attestation.
 *
 * The commit is fetched with its whole tree (`--depth=1`, no filter) into a repository of its own
 * under `dir`, removed afterwards: the tag scratch repository is a partial clone in which git would
 * not fetch a commit it already has, and would fetch missing trees lazily from nowhere.
 */
export async function contentDigestOfTaggedCommit(input: {
  dir: string;
  /** The repository as the metadata names it; the user's git configuration rewrites it as usual. */
  url: string;
  tag: string;
  /** The commit the signed tag points at: the one digested. */
  commit: string;
  env: Record<string, string | undefined>;
  /** The fetch is stopped after this long (a server that accepts and never answers). */
  timeoutMs?: number;
}): Promise<RefDigest> {
  const env = { ...withoutSigningSecrets(input.env), GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const options = { cwd: input.dir, env };
  await mkdir(input.dir, { recursive: true });
  try {
    for (const args of [
      ['init', '--quiet', '--bare', input.dir],
      fetchTagArgs({ url: input.url, tag: input.tag, ref: 'refs/phpublish/release' }),
    ]) {
      const result = await runGit(args, {
        ...options,
        ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
      });
      if (result.exitCode !== 0) throw unreachable(input.url, result, input.timeoutMs);
    }
    // The commit the tag check verified, not whatever the tag names now.
    return await contentDigestOfRef({ cwd: input.dir, ref: input.commit, env });
  } finally {
    await rm(input.dir, { recursive: true, force: true });
  }
}
