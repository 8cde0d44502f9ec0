import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  archiveGitEnv,
  fixtureRepo,
  gitArchiveListing,
  gitHubStyleZipball,
  unzipListing,
} from '@phpublish/testing/archive';
import type { PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchive } from './build-archive.js';
import { type ContentAttributes, conversionFor, GIT_BIG_FILE_THRESHOLD, MAX_CONVERTED_SIZE } from './conversions.js';
import { contentDigestOfRef, contentDigestOfZip } from './digest.js';

let temp: TempDir;
let repo: PhpPackageRepo | undefined;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-conversions-');
});
afterAll(async () => {
  await repo?.cleanup();
  await temp.cleanup();
});

const none: ContentAttributes = {
  'export-subst': null,
  ident: null,
  text: null,
  crlf: null,
  eol: null,
  'working-tree-encoding': null,
};

describe('when files carry export-subst, ident and end-of-line attributes', () => {
  it('writes the same bytes as git archive', async () => {
    // Contents first, attributes in a later commit: `git add` would otherwise normalise the blobs
    // (ident and eol clean them on the way in), and the archive must convert whatever blob it finds.
    const attributes = [
      'version.php export-subst',
      'describe.txt export-subst',
      'ident.txt ident',
      'crlf.txt eol=crlf',
      'auto.txt text=auto eol=crlf',
      'auto-binary.txt text=auto eol=crlf',
      'auto-mixed.txt text=auto eol=crlf',
      'forced.dat eol=crlf',
      '*.bat text eol=crlf',
      'lf.txt text eol=lf',
      'legacy.txt crlf',
      'not-text.txt -text eol=crlf',
      'both.txt export-subst ident eol=crlf',
      'utf8.txt working-tree-encoding=UTF-8',
      'filtered.txt filter=lfs',
    ].join('\n');
    repo = await fixtureRepo({
      'version.php': [
        "<?php return ['commit' => '$Format:%H$', 'date' => '$Format:%ci$',",
        "  'who' => '$Format:%an <%ae>$', 'subject' => '$Format:%s$', 'percent' => '$Format:%%$',",
        "  'short' => 'short: $Format:short$', 'lines' => '$Format:a%nb$', 'open' => '$Format:%H",
      ].join('\n'),
      'describe.txt':
        'first $Format:%(describe)$, second $Format:%(describe)$, magic $Format:x%+(describe)$ $Format:%h$\n',
      'ident.txt': '$Id$\n$Id: stale $\n$Id: from another vcs $\n$Idea$\n$Id:\nbroken $\n',
      'crlf.txt': 'a\nb\r\nc\n',
      'auto.txt': 'line one\nline two\n',
      'auto-binary.txt': Buffer.from('bin\0ary\n'),
      'auto-mixed.txt': 'a\r\nb\n',
      'forced.dat': Buffer.from([0, 10, 1, 10, 13, 10]),
      'run.bat': '@echo off\necho hi\n',
      'lf.txt': 'lf\n',
      'legacy.txt': 'legacy\n',
      'not-text.txt': 'kept\nas is\n',
      'both.txt': '$Id$ $Format:%s$\nnext\n',
      'utf8.txt': 'plain\n',
      'filtered.txt': 'version https://git-lfs.github.com/spec/v1\n',
    });
    // Only .gitattributes is staged: `git add --all` would re-clean the other files with it.
    await writeFile(join(repo.dir, '.gitattributes'), attributes);
    await repo.git(['add', '.gitattributes']);
    await repo.git(['commit', '--quiet', '-m', 'Attributes']);
    expect(await repo.git(['cat-file', 'blob', 'HEAD:ident.txt'])).toContain('$Id: stale $');
    await repo.tag('v1.0.0', { annotated: true });
    const zip = join(temp.path, 'conversions.zip');
    const result = await buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: 'v1.0.0', outFile: zip });
    const ours = await unzipListing(zip, result.folder);
    expect(ours).toEqual(await gitArchiveListing(repo.dir, 'v1.0.0'));
    // The conversions did happen (the equality above is the test; these show what it covers).
    expect(ours['crlf.txt']?.bytes).toBe('a\r\nb\r\nc\r\n');
    expect(ours['describe.txt']?.bytes).toMatch(
      /^first v1\.0\.0, second %\(describe\), magic x\(describe\) [0-9a-f]{7,}\n$/,
    );
    expect(ours['ident.txt']?.bytes).toMatch(
      /^\$Id: [0-9a-f]{40} \$\n\$Id: [0-9a-f]{40} \$\n\$Id: from another vcs \$/,
    );

    // Converted files that count as large (here from 16 bytes on) go through the spill files
    // from memory: the same contents.
    const spilled = await buildArchive({
      cwd: repo.dir,
      env: archiveGitEnv,
      ref: 'v1.0.0',
      outFile: join(temp.path, 'conversions-spilled.zip'),
      tuning: { largeFrom: 16 },
    });
    expect(await unzipListing(spilled.file, spilled.folder)).toEqual(ours);
    expect(spilled.contentDigest).toBe(result.contentDigest);

    const zipball = join(temp.path, 'conversions-github.zip');
    await gitHubStyleZipball(repo.dir, 'v1.0.0', zipball);
    expect((await contentDigestOfZip(zipball)).contentDigest).toBe(result.contentDigest);
    expect((await contentDigestOfRef({ cwd: repo.dir, env: archiveGitEnv, ref: 'v1.0.0' })).contentDigest).toBe(
      result.contentDigest,
    );
  });

  it('refuses a working-tree-encoding it would have to re-encode, with its code', async () => {
    const encoded = await fixtureRepo({
      '.gitattributes': 'utf16.txt working-tree-encoding=UTF-16LE\n',
      'utf16.txt': 'hello\n',
    });
    try {
      const error = await buildArchive({
        cwd: encoded.dir,
        env: archiveGitEnv,
        ref: 'HEAD',
        outFile: join(temp.path, 'never.zip'),
      }).catch((e) => e);
      expect(error.code).toBe('ARCHIVE_ATTRIBUTE_UNSUPPORTED');
      expect(error.message).toContain('utf16.txt');
    } finally {
      await encoded.cleanup();
    }
  });
});

describe('when deciding how a file is converted', () => {
  it('follows convert.c for every combination of text, crlf and eol', () => {
    const crlf = (attrs: Partial<ContentAttributes>) => conversionFor('f', 10, { ...none, ...attrs }).crlf;
    expect(crlf({})).toBeUndefined();
    expect(crlf({ text: true })).toBeUndefined();
    expect(crlf({ text: 'auto' })).toBeUndefined();
    expect(crlf({ eol: 'crlf' })).toBe('always');
    expect(crlf({ text: true, eol: 'crlf' })).toBe('always');
    expect(crlf({ text: 'auto', eol: 'crlf' })).toBe('auto');
    expect(crlf({ text: false, eol: 'crlf' })).toBeUndefined();
    expect(crlf({ crlf: false, eol: 'crlf' })).toBeUndefined();
    expect(crlf({ crlf: 'input', eol: 'crlf' })).toBe('always');
    expect(crlf({ text: 'input' })).toBeUndefined();
    expect(crlf({ eol: 'lf' })).toBeUndefined();
  });

  it('refuses working-tree-encoding set or unset without an encoding, as git archive does, and accepts UTF-8', () => {
    const codeFor = (encoding: ContentAttributes['working-tree-encoding']) => {
      try {
        conversionFor('a.txt', 10, { ...none, 'working-tree-encoding': encoding });
        return 'accepted';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(codeFor(true)).toBe('ARCHIVE_ATTRIBUTE_UNSUPPORTED');
    expect(codeFor(false)).toBe('ARCHIVE_ATTRIBUTE_UNSUPPORTED');
    expect(codeFor('UTF-8')).toBe('accepted');
    expect(codeFor('utf8')).toBe('accepted');
    expect(codeFor('')).toBe('accepted');
  });

  it('refuses to buffer a large file it must convert, and leaves huge files alone as git does', () => {
    const attrs = { ...none, eol: 'crlf' };
    const tooLarge = (() => {
      try {
        return conversionFor('big.txt', MAX_CONVERTED_SIZE + 1, attrs);
      } catch (error) {
        return error as { code: string };
      }
    })();
    expect(tooLarge).toMatchObject({ code: 'ARCHIVE_FILE_TOO_LARGE' });
    // Above core.bigFileThreshold git streams blobs without converting them.
    expect(conversionFor('huge.txt', GIT_BIG_FILE_THRESHOLD + 1, attrs)).toEqual({
      subst: false,
      ident: false,
      crlf: undefined,
    });
    expect(() => conversionFor('huge.php', GIT_BIG_FILE_THRESHOLD + 1, { ...none, 'export-subst': true })).toThrow(
      expect.objectContaining({ code: 'ARCHIVE_FILE_TOO_LARGE' }),
    );
  });
});
