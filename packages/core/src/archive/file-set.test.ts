import { join } from 'node:path';
import {
  archiveGitEnv,
  commitFiles,
  fixtureRepo,
  gitArchiveListing,
  gitHubStyleZipball,
  unzipListing,
} from '@phpublish/testing/archive';
import type { PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchive } from './build-archive.js';
import { contentDigestOfRef, contentDigestOfZip } from './digest.js';

/**
 * The file set and contents of phpublish's zip against `git archive` itself: each fixture commits
 * files and .gitattributes rules, then the zip (extracted with unzip) must hold exactly what
 * `git archive --format=tar` of the same commit holds — entries, bytes, modes, symlinks, and the
 * empty directories git leaves — and the three content digests must agree.
 */

let temp: TempDir;
const repos: PhpPackageRepo[] = [];
beforeAll(async () => {
  temp = await makeTempDir('phpublish-file-set-');
});
afterAll(async () => {
  for (const repo of repos) await repo.cleanup();
  await temp.cleanup();
});

async function expectSameAsGitArchive(repo: PhpPackageRepo, label: string) {
  const zip = join(temp.path, `${label}.zip`);
  const result = await buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: 'HEAD', outFile: zip });
  const ours = await unzipListing(zip, result.folder);
  const theirs = await gitArchiveListing(repo.dir, 'HEAD');
  expect(ours).toEqual(theirs);

  const zipball = join(temp.path, `${label}-github.zip`);
  await gitHubStyleZipball(repo.dir, 'HEAD', zipball);
  const fromRef = await contentDigestOfRef({ cwd: repo.dir, env: archiveGitEnv, ref: 'HEAD' });
  const fromZip = await contentDigestOfZip(zip);
  const fromZipball = await contentDigestOfZip(zipball);
  expect(fromRef.contentDigest).toBe(result.contentDigest);
  expect(fromZip.contentDigest).toBe(result.contentDigest);
  expect(fromZipball.contentDigest).toBe(result.contentDigest);
  return { result, listing: ours };
}

async function track(repo: Promise<PhpPackageRepo>) {
  const r = await repo;
  repos.push(r);
  return r;
}

describe('when .gitattributes uses every export-ignore pattern form', () => {
  it('leaves out exactly what git archive leaves out', async () => {
    const attributes = [
      '# a comment, then a blank line',
      '',
      '/tests export-ignore',
      'docs/ export-ignore',
      '*.dist export-ignore',
      '/build/** export-ignore',
      '**/fixtures export-ignore',
      'a/**/deep.txt export-ignore',
      'src/*.tmp export-ignore',
      '"with space.txt" export-ignore',
      '"tab\\there.txt" export-ignore',
      '[ab]rack?t.log export-ignore',
      'num[[:digit:]].log export-ignore',
      'notnum[!0-9].log export-ignore',
      '\\!bang.txt export-ignore',
      'star\\*.txt export-ignore',
      '!negated.txt export-ignore',
      'valued.txt export-ignore=yes',
      'unset.txt export-ignore',
      'unset.txt -export-ignore',
      'unspecified.txt export-ignore',
      'unspecified.txt !export-ignore',
      'dironly/ export-ignore',
      'emptied/* export-ignore',
      'crlf.txt export-ignore\r',
      `long.txt export-ignore${' '.repeat(2100)}x`,
      'bad name.txt export-ignore',
      '*.bin binary',
      'bad-attr.txt export-ignore 0bad!name',
      '/.gitattributes export-ignore',
    ].join('\n');
    const repo = await track(
      fixtureRepo({
        '.gitattributes': attributes,
        'tests/HelloTest.php': '<?php // test',
        'docs/index.md': '# docs',
        'lib/docs/inner.md': '# nested docs',
        'config.php.dist': '<?php return [];',
        'build/out/app.js': 'x',
        'build.php': '<?php // not build/',
        'lib/fixtures/f.php': '<?php',
        'fixtures/top.php': '<?php',
        'a/deep.txt': 'deep',
        'a/x/y/deep.txt': 'deeper',
        'b/deep.txt': 'kept',
        'src/x.tmp': 'tmp',
        'src/nested/y.tmp': 'kept: src/*.tmp does not cross directories',
        'with space.txt': 'space',
        'tab\there.txt': 'tab',
        'arackxt.log': 'ignored',
        'crack1t.log': 'kept',
        'num5.log': 'ignored',
        'numx.log': 'kept',
        'notnumx.log': 'ignored',
        'notnum5.log': 'kept',
        '!bang.txt': 'ignored',
        'star*.txt': 'ignored',
        'starx.txt': 'kept',
        'negated.txt': 'kept: negative patterns are ignored',
        'valued.txt': 'kept: only a set attribute counts',
        'unset.txt': 'kept',
        'unspecified.txt': 'kept',
        dironly: 'kept: a file, not a directory',
        'x/dironly/f.txt': 'ignored',
        'emptied/a.txt': 'ignored, leaving an empty directory',
        'crlf.txt': 'ignored',
        'long.txt': 'kept: the line is too long for git',
        bad: 'ignored',
        'data.bin': Buffer.from([0, 1, 2, 255]),
        'bad-attr.txt': 'kept: a line with an invalid attribute name is dropped',
      }),
    );
    const { listing } = await expectSameAsGitArchive(repo, 'forms');
    // Spot checks that the fixture exercises what it means to (the equality above is the test).
    expect(Object.keys(listing)).toEqual(
      expect.arrayContaining(['emptied', 'build.php', 'b/deep.txt', 'src/nested/y.tmp', 'dironly', 'long.txt']),
    );
    expect(Object.keys(listing)).not.toEqual(
      expect.arrayContaining(['tests', 'docs', 'lib/docs', 'build', 'a/deep.txt', '.gitattributes']),
    );
  });
});

describe('when attributes come from nested .gitattributes files', () => {
  it('applies git’s precedence, macros and quirks exactly as git archive does', async () => {
    const repo = await track(
      fixtureRepo({
        '.gitattributes': [
          '[attr]noexport export-ignore',
          '[attr]binary export-ignore',
          'secret.txt noexport',
          'image.png binary',
          '*.md export-ignore',
          'keep.md -export-ignore',
        ].join('\n'),
        'secret.txt': 'ignored through a macro',
        'image.png': 'ignored: the top-level file redefines the builtin binary macro',
        'README.md': 'ignored',
        'keep.md': 'kept',
        'sub/.gitattributes': [
          '*.txt export-ignore',
          'keep.txt -export-ignore',
          '[attr]nested export-ignore',
          'macro-user.txt nested',
          '/anchored.md export-ignore',
          'inner/ export-ignore',
          'README.md -export-ignore',
        ].join('\n'),
        'sub/a.txt': 'ignored',
        'sub/keep.txt': 'kept: a later line of the same file wins',
        'sub/macro-user.txt': 'ignored: *.txt; the nested macro is not allowed',
        'sub/anchored.md': 'ignored',
        'sub/x/anchored.md': 'ignored by the top-level *.md, not by the anchored rule',
        'sub/inner/z.php': 'ignored',
        'sub/README.md': 'kept: the deeper file wins',
        'sub/deeper/.gitattributes': 'keep.txt export-ignore\n',
        'sub/deeper/keep.txt': 'ignored: the deepest file wins',
        'sub/deeper/other.txt': 'ignored by sub/.gitattributes',
        'bom/.gitattributes': '\ufeffbom.txt export-ignore\nplain.txt export-ignore\n',
        'bom/bom.txt': 'kept: git does not strip a BOM from a blob',
        'bom/plain.txt': 'ignored',
        'after-nul/.gitattributes': Buffer.concat([
          Buffer.from('a.txt export-ignore\n'),
          Buffer.from([0]),
          Buffer.from('\nb.txt export-ignore\n'),
        ]),
        'after-nul/a.txt': 'ignored',
        'after-nul/b.txt': 'kept: nothing after a NUL byte counts',
        'linked/.gitattributes': { symlink: '*.log export-ignore' },
        'linked/x.log': 'ignored: git reads a symlinked .gitattributes blob, its target as text',
        'linked/x.txt': 'kept',
      }),
    );
    await expectSameAsGitArchive(repo, 'nested');
  });
});

describe('when the tree has every kind of entry', () => {
  it('keeps executables, symlinks, submodules, empty files and non-ASCII names as git does', async () => {
    const repo = await track(
      fixtureRepo({
        'bin/tool': { content: '#!/usr/bin/env php\n<?php echo 1;\n', executable: true },
        'link-to-hello': { symlink: 'src/Hello.php' },
        'src/link-up': { symlink: '../composer.json' },
        'dangling-inside': { symlink: 'not/there' },
        'empty.txt': '',
        'src/Ünïcödé.php': '<?php // ünïcödé',
        '日本/ファイル.txt': 'japanese',
        'binary.dat': Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      }),
    );
    // A submodule (gitlink): git archive writes it as an empty directory.
    await repo.git(['update-index', '--add', '--cacheinfo', `160000,${repo.head},vendor-sub`]);
    await repo.git(['commit', '--quiet', '-m', 'Add a submodule']);
    const { result, listing } = await expectSameAsGitArchive(repo, 'kinds');
    expect(listing['vendor-sub']).toEqual({ kind: 'directory' });
    expect(listing['bin/tool']?.kind).toBe('executable');
    expect(listing['link-to-hello']).toEqual({ kind: 'symlink', bytes: 'src/Hello.php' });
    expect(result).toMatchObject({ symlinks: 3 });
  });
});

describe('when a package has no .gitattributes at all', () => {
  it('archives every file of the commit', async () => {
    const repo = await track(fixtureRepo({ 'README.md': '# hello', 'tests/HelloTest.php': '<?php' }));
    const { listing } = await expectSameAsGitArchive(repo, 'plain');
    expect(Object.keys(listing)).toEqual([
      'README.md',
      'composer.json',
      'src',
      'src/Hello.php',
      'tests',
      'tests/HelloTest.php',
    ]);
  });
});

describe('when the release is a tag on an older commit', () => {
  it('archives the tagged commit, not the work tree or HEAD', async () => {
    const repo = await track(fixtureRepo({ 'README.md': 'v1' }));
    await repo.tag('v1.0.0', { annotated: true });
    await commitFiles(repo, { 'README.md': 'v2', 'new.txt': 'later' });
    const zip = join(temp.path, 'tagged.zip');
    const result = await buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: 'v1.0.0', outFile: zip });
    expect(await unzipListing(zip, result.folder)).toEqual(await gitArchiveListing(repo.dir, 'v1.0.0'));
    expect(result.commit).toBe((await repo.git(['rev-parse', 'v1.0.0^{commit}'])).trim());
  });
});
