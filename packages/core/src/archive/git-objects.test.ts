import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { archiveGitEnv, fixtureRepo } from '@phpublish/testing/archive';
import { git } from '@phpublish/testing/git';
import type { PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchive } from './build-archive.js';
import { contentDigestOfRef } from './digest.js';

/** Commit objects git's own tools would not write, written byte by byte as an attacker could. */

let temp: TempDir;
let repo: PhpPackageRepo;
let tree: string;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-git-objects-');
  repo = await fixtureRepo({});
  tree = (await repo.git(['rev-parse', 'HEAD^{tree}'])).trim();
});
afterAll(async () => {
  await repo.cleanup();
  await temp.cleanup();
});

async function commitObject(text: string): Promise<string> {
  const args = ['hash-object', '-t', 'commit', '-w', '--literally', '--stdin'];
  return (await git(repo.dir, args, { env: archiveGitEnv, input: text })).trim();
}

/** What the archive and the digest of `commit` say, and what is left where the zip would be. */
async function outcomes(commit: string) {
  const outDir = join(temp.path, commit);
  await mkdir(outDir);
  const code = (promise: Promise<unknown>) =>
    promise.then(
      () => 'no error',
      (error: { code?: string; message: string }) => error.code ?? error.message,
    );
  return {
    archive: await code(
      buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: commit, outFile: join(outDir, 'x.zip') }),
    ),
    digest: await code(contentDigestOfRef({ cwd: repo.dir, env: archiveGitEnv, ref: commit })),
    leftovers: await readdir(outDir),
  };
}

describe('when a commit object lacks what every commit has', () => {
  it.each([
    ['no committer line', (t: string) => `tree ${t}\nauthor A <a@example.org> 1700000000 +0000\n\ncrafted\n`],
    [
      'a committer without a time',
      (t: string) => `tree ${t}\nauthor A <a@example.org> 1700000000 +0000\ncommitter C <c@example.org>\n\ncrafted\n`,
    ],
  ])('refuses one with %s with ARCHIVE_GIT_FAILED, and writes nothing', async (_what, text) => {
    const commit = await commitObject(text(tree));
    expect(await outcomes(commit)).toEqual({
      archive: 'ARCHIVE_GIT_FAILED',
      digest: 'ARCHIVE_GIT_FAILED',
      leftovers: [],
    });
    const error = await contentDigestOfRef({ cwd: repo.dir, env: archiveGitEnv, ref: commit }).catch((e) => e);
    expect(error.message).toContain('unreadable commit object');
  });

  it('reads one with the same fields in full, as a control', async () => {
    const commit = await commitObject(
      `tree ${tree}\nauthor A <a@example.org> 1700000000 +0000\ncommitter C <c@example.org> 1700000000 +0000\n\ncrafted\n`,
    );
    const { archive, digest, leftovers } = await outcomes(commit);
    expect({ archive, digest, leftovers }).toEqual({ archive: 'no error', digest: 'no error', leftovers: ['x.zip'] });
  });
});
