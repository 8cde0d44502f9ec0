import { createHash } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { archiveGitEnv, commitTree, fixtureRepo, writeBlob, writeRawTree } from '@phpublish/testing/archive';
import type { PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchive } from './build-archive.js';
import { contentDigestOfRef } from './digest.js';

/**
 * Commits git's own tools would refuse to make, written object by object: the archive must refuse
 * them with a code before writing anything, and so must the digest.
 */

let temp: TempDir;
let repo: PhpPackageRepo;
let blob: string;
let composer: string;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-hostile-tree-');
  repo = await fixtureRepo({});
  blob = await writeBlob(repo.dir, '<?php // payload\n');
  composer = (await repo.git(['rev-parse', 'HEAD:composer.json'])).trim();
});
afterAll(async () => {
  await repo.cleanup();
  await temp.cleanup();
});

/** A commit whose root tree holds composer.json and `entries`. */
async function crafted(entries: Array<{ mode: string; name: string | Buffer; oid: string }>): Promise<string> {
  const all = [{ mode: '100644', name: 'composer.json', oid: composer }, ...entries];
  // git wants tree entries sorted; a hostile tree need not be, but these are, so git reads them.
  all.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  return commitTree(repo.dir, await writeRawTree(repo.dir, all));
}

/** A tree holding one directory `name` (the tree `oid`), written as a loose object (faster than 254 gits). */
async function writeLooseTree(name: string, oid: string): Promise<string> {
  const body = Buffer.concat([Buffer.from(`40000 ${name}\0`), Buffer.from(oid, 'hex')]);
  const object = Buffer.concat([Buffer.from(`tree ${body.length}\0`), body]);
  const id = createHash('sha1').update(object).digest('hex');
  const dir = join(repo.dir, '.git', 'objects', id.slice(0, 2));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, id.slice(2)), deflateSync(object));
  return id;
}

async function refusal(commit: string): Promise<{ archive: string; digest: string; leftovers: string[] }> {
  const outDir = join(temp.path, commit);
  await import('node:fs/promises').then((fs) => fs.mkdir(outDir));
  const archive = await buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: commit, outFile: join(outDir, 'x.zip') })
    .then(() => 'no error')
    .catch((e) => e.code ?? e.message);
  const digest = await contentDigestOfRef({ cwd: repo.dir, env: archiveGitEnv, ref: commit })
    .then(() => 'no error')
    .catch((e) => e.code ?? e.message);
  return { archive, digest, leftovers: await readdir(outDir) };
}

describe('when a commit holds paths that would escape the install directory', () => {
  it.each([
    ['..', 'ARCHIVE_PATH_UNSAFE'],
    ['.', 'ARCHIVE_PATH_UNSAFE'],
    ['.git', 'ARCHIVE_PATH_UNSAFE'],
    ['.GIT', 'ARCHIVE_PATH_UNSAFE'],
    ['a\\..\\..\\evil.php', 'ARCHIVE_PATH_UNSAFE'],
    ['C:evil.php', 'ARCHIVE_PATH_UNSAFE'],
  ])('refuses an entry named %j with %s, and writes nothing', async (name, code) => {
    const result = await refusal(await crafted([{ mode: '100644', name, oid: blob }]));
    expect(result).toEqual({ archive: code, digest: code, leftovers: [] });
  });

  it('refuses a directory named ".." holding a file', async () => {
    const inner = await writeRawTree(repo.dir, [{ mode: '100644', name: 'evil.php', oid: blob }]);
    const result = await refusal(await crafted([{ mode: '40000', name: '..', oid: inner }]));
    expect(result.archive).toBe('ARCHIVE_PATH_UNSAFE');
  });

  it('refuses a name that is not UTF-8', async () => {
    const result = await refusal(
      await crafted([{ mode: '100644', name: Buffer.from([0x66, 0xe9, 0x2e, 0x70]), oid: blob }]),
    );
    expect(result).toEqual({ archive: 'ARCHIVE_PATH_NOT_UTF8', digest: 'ARCHIVE_PATH_NOT_UTF8', leftovers: [] });
  });
});

describe('when a commit holds a path that fits the path rules but not a zip entry under its folder', () => {
  it('refuses it for the zip with ARCHIVE_PATH_UNSAFE before writing anything; the digest of the commit has no folder and takes it', async () => {
    // 255 directories of 255 bytes and a 250-byte file: 65,530 bytes, within the 65,535 the path
    // rules allow, but not with the zip's top-level folder in front (a zip name holds 65,535).
    const segment = 'd'.repeat(255);
    let tree = await writeRawTree(repo.dir, [{ mode: '100644', name: 'f'.repeat(250), oid: blob }]);
    for (let depth = 1; depth < 255; depth++) tree = await writeLooseTree(segment, tree);
    const result = await refusal(await crafted([{ mode: '40000', name: segment, oid: tree }]));
    expect(result).toEqual({ archive: 'ARCHIVE_PATH_UNSAFE', digest: 'no error', leftovers: [] });
  });
});

describe('when a commit holds names some system reads as .git, or cannot create', () => {
  it.each([
    ['.git.', 'a file'],
    ['.git ', 'a file'],
    ['git~1', 'a file'],
    ['GIT~1', 'a directory'],
    ['.git . .', 'a directory'],
    ['.g\u200cit', 'a directory'],
    ['\ufeff.GIT', 'a directory'],
    ['a:b', 'a file'],
    ['file.php:stream', 'a file'],
    ['CON', 'a file'],
    ['aux.php', 'a file'],
    ['lpt1', 'a directory'],
    ['what?.php', 'a file'],
    ['trailing.', 'a file'],
    ['COMPOS~1.JSO', 'a file'],
    ['x'.repeat(256), 'a file'],
  ])('refuses %j as %s with ARCHIVE_PATH_UNSAFE, and writes nothing', async (name, kind) => {
    const entry =
      kind === 'a file'
        ? { mode: '100644', name, oid: blob }
        : { mode: '40000', name, oid: await writeRawTree(repo.dir, [{ mode: '100644', name: 'config', oid: blob }]) };
    const result = await refusal(await crafted([entry]));
    expect(result).toEqual({ archive: 'ARCHIVE_PATH_UNSAFE', digest: 'ARCHIVE_PATH_UNSAFE', leftovers: [] });
  });

  it('accepts names that only look close: .gitignore, .github, console.php, with space.txt', async () => {
    const result = await refusal(
      await crafted(
        ['.gitignore', '.github', 'console.php', 'with space.txt', 'backup~'].map((name) => ({
          mode: '100644',
          name,
          oid: blob,
        })),
      ),
    );
    expect(result).toEqual({ archive: 'no error', digest: 'no error', leftovers: ['x.zip'] });
  });
});

describe('when a commit holds names that collide once installed', () => {
  it.each([[['Hello.php', 'hello.php']], [['caf\u00e9.php', 'cafe\u0301.php']]])(
    'refuses %j with ARCHIVE_DUPLICATE_PATH',
    async (names) => {
      const result = await refusal(await crafted(names.map((name) => ({ mode: '100644', name, oid: blob }))));
      expect(result).toEqual({ archive: 'ARCHIVE_DUPLICATE_PATH', digest: 'ARCHIVE_DUPLICATE_PATH', leftovers: [] });
    },
  );

  it('refuses the same name twice in one tree', async () => {
    const result = await refusal(
      await crafted([
        { mode: '100644', name: 'twice.php', oid: blob },
        { mode: '100644', name: 'twice.php', oid: composer },
      ]),
    );
    expect(result.archive).toBe('ARCHIVE_DUPLICATE_PATH');
  });

  it('accepts the same names when export-ignore leaves one of them out', async () => {
    const attributes = await writeBlob(repo.dir, 'hello.php export-ignore\n');
    const result = await refusal(
      await crafted([
        { mode: '100644', name: '.gitattributes', oid: attributes },
        { mode: '100644', name: 'Hello.php', oid: blob },
        { mode: '100644', name: 'hello.php', oid: blob },
      ]),
    );
    expect(result.archive).toBe('no error');
  });
});

describe('when a commit holds symbolic links that point outside the package', () => {
  it.each([
    ['an absolute target', [['link', '/etc/passwd']]],
    ['a relative target above the root', [['link', '../../.ssh/id_rsa']]],
    [
      'a chain through another link',
      [
        ['up', '..'],
        ['escape', 'up/x'],
      ],
    ],
  ])('refuses %s with ARCHIVE_SYMLINK_ESCAPES', async (_what, links) => {
    const entries = [];
    for (const [name, target] of links as string[][]) {
      entries.push({ mode: '120000', name: name!, oid: await writeBlob(repo.dir, target!) });
    }
    const result = await refusal(await crafted(entries));
    expect(result).toEqual({ archive: 'ARCHIVE_SYMLINK_ESCAPES', digest: 'ARCHIVE_SYMLINK_ESCAPES', leftovers: [] });
  });
});
