import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { git, gitEnv } from '../git.js';
import { createPhpPackageRepo, type PhpPackageRepo } from '../php-package-repo.js';
import { makeTempDir } from '../temp-dir.js';

/** Test helpers for the archive: repositories with every kind of entry, and `git archive` as ground truth. */

const run = promisify(execFile);

/** git with no configuration from the machine, not even system attributes: what GitHub's `git archive` sees. */
export const archiveGitEnv = gitEnv({ GIT_ATTR_NOSYSTEM: '1' });

export type FixtureFile = string | Buffer | { content: string | Buffer; executable: true } | { symlink: string };

/** Writes files (contents, executables, symlinks; null deletes) into the work tree and commits them. */
export async function commitFiles(
  repo: PhpPackageRepo,
  files: Record<string, FixtureFile | null>,
  message = 'Fixture files',
): Promise<string> {
  for (const [path, spec] of Object.entries(files)) {
    const target = join(repo.dir, path);
    await rm(target, { force: true, recursive: true });
    if (spec === null) continue;
    await mkdir(dirname(target), { recursive: true });
    if (typeof spec === 'string' || Buffer.isBuffer(spec)) await writeFile(target, spec);
    else if ('symlink' in spec) await symlink(spec.symlink, target);
    else await writeFile(target, spec.content, { mode: 0o755 });
  }
  return repo.commit({}, message);
}

/** A repository with the default package plus `files`, committed with the fixed test identity. */
export async function fixtureRepo(files: Record<string, FixtureFile | null>, name = 'acme/fixture') {
  const repo = await createPhpPackageRepo({ name, env: { GIT_ATTR_NOSYSTEM: '1' } });
  await commitFiles(repo, files);
  return repo;
}

/** What an extracted tree holds: per path, its kind and bytes (symlink target for links). */
export type Listing = Record<string, { kind: 'directory' | 'file' | 'executable' | 'symlink'; bytes?: string }>;

export async function listDirectory(root: string): Promise<Listing> {
  const listing: Listing = {};
  const walk = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const rel = relative(root, path);
      const stat = await lstat(path);
      if (stat.isSymbolicLink()) listing[rel] = { kind: 'symlink', bytes: await readlink(path) };
      else if (stat.isDirectory()) {
        listing[rel] = { kind: 'directory' };
        await walk(path);
      } else {
        listing[rel] = {
          kind: stat.mode & 0o100 ? 'executable' : 'file',
          bytes: (await readFile(path)).toString('latin1'),
        };
      }
    }
  };
  await walk(root);
  return listing;
}

/** The tree `git archive --format=tar` makes of `ref`, extracted: the ground truth. */
export async function gitArchiveListing(repoDir: string, ref: string): Promise<Listing> {
  const temp = await makeTempDir('phpublish-git-archive-');
  try {
    const tar = join(temp.path, 'archive.tar');
    await git(repoDir, ['archive', '--format=tar', `--output=${tar}`, ref], { env: archiveGitEnv });
    const out = join(temp.path, 'tree');
    await mkdir(out);
    await run('tar', ['-xf', tar, '-C', out]);
    return await listDirectory(out);
  } finally {
    await temp.cleanup();
  }
}

/** A zip extracted with Info-ZIP's unzip (as Composer does when it is installed), listed from its single folder. */
export async function unzipListing(zip: string, folder: string): Promise<Listing> {
  const temp = await makeTempDir('phpublish-unzip-');
  try {
    await run('unzip', ['-q', zip, '-d', temp.path]);
    return await listDirectory(join(temp.path, folder));
  } finally {
    await temp.cleanup();
  }
}

/** A GitHub-style zipball: `git archive --format=zip` with GitHub's `<owner>-<repo>-<sha7>/` folder. */
export async function gitHubStyleZipball(repoDir: string, ref: string, outFile: string): Promise<void> {
  const sha = (await git(repoDir, ['rev-parse', `${ref}^{commit}`], { env: archiveGitEnv })).trim();
  await git(
    repoDir,
    ['archive', '--format=zip', `--prefix=acme-fixture-${sha.slice(0, 7)}/`, `--output=${outFile}`, ref],
    {
      env: archiveGitEnv,
    },
  );
}

/** One raw tree entry for `writeRawTree`: any mode, any name bytes (git's own tools would refuse some). */
export interface RawTreeEntry {
  mode: string;
  name: Buffer | string;
  oid: string;
}

/** Writes a tree object byte by byte, as an attacker could, and returns its id. */
export async function writeRawTree(repoDir: string, entries: readonly RawTreeEntry[]): Promise<string> {
  const body = Buffer.concat(
    entries.map((e) =>
      Buffer.concat([Buffer.from(`${e.mode} `), Buffer.from(e.name), Buffer.from([0]), Buffer.from(e.oid, 'hex')]),
    ),
  );
  const temp = await makeTempDir('phpublish-tree-');
  try {
    const file = join(temp.path, 'tree');
    await writeFile(file, body);
    const { stdout } = await run('git', ['hash-object', '-t', 'tree', '-w', '--literally', file], {
      cwd: repoDir,
      env: archiveGitEnv,
    });
    return stdout.trim();
  } finally {
    await temp.cleanup();
  }
}

export async function writeBlob(repoDir: string, content: string | Buffer): Promise<string> {
  return (await git(repoDir, ['hash-object', '-w', '--stdin'], { env: archiveGitEnv, input: String(content) })).trim();
}

/** A commit of `tree` (with the fixed identity and date), returned by id. */
export async function commitTree(repoDir: string, tree: string): Promise<string> {
  return (await git(repoDir, ['commit-tree', '-m', 'crafted', tree], { env: archiveGitEnv })).trim();
}
