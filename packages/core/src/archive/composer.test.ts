import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { archiveGitEnv, fixtureRepo, gitArchiveListing, listDirectory, unzipListing } from '@phpublish/testing/archive';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchive } from './build-archive.js';
import { composerExcludeMatcher } from './composer-exclude.js';
import { contentDigestOfZip } from './digest.js';

/** Against the real Composer (Debian's): it installs our zip as exported, and its archive.exclude rules match ours. */

const run = promisify(execFile);

let temp: TempDir;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-composer-');
});
afterAll(async () => {
  await temp.cleanup();
});

/** Debian's composer, isolated: its home and cache in temp dirs, no prompts, nothing fetched from the network. */
function composerEnv(home: string): Record<string, string> {
  return {
    ...archiveGitEnv,
    HOME: home,
    COMPOSER_HOME: join(home, 'composer'),
    COMPOSER_CACHE_DIR: join(home, 'cache'),
    COMPOSER_ALLOW_SUPERUSER: '1',
    COMPOSER_NO_INTERACTION: '1',
    COMPOSER_NO_AUDIT: '1',
    COMPOSER_DISABLE_XDEBUG_WARN: '1',
    http_proxy: 'http://127.0.0.1:9',
    https_proxy: 'http://127.0.0.1:9',
  };
}

describe('when Composer installs the zip from a local repository', () => {
  it('installs exactly the files of the exported tree, with modes and symlinks', async () => {
    const repo = await fixtureRepo(
      {
        '.gitattributes':
          '/tests export-ignore\n/.gitattributes export-ignore\n*.md export-ignore\nkeep.md -export-ignore\n',
        'tests/HelloTest.php': '<?php // not shipped',
        'README.md': '# not shipped',
        'keep.md': 'shipped',
        'bin/hello': { content: '#!/usr/bin/env php\n<?php echo "hello\\n";\n', executable: true },
        'src/alias.php': { symlink: 'Hello.php' },
        'src/Ünïcödé/Naïve.php': '<?php // non-ASCII path',
        'resources/empty.txt': '',
      },
      'acme/hello',
    );
    try {
      await repo.tag('v1.0.0', { annotated: true });
      const zip = join(temp.path, 'acme-hello-1.0.0.zip');
      const archive = await buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: 'v1.0.0', outFile: zip });
      const project = join(temp.path, 'project');
      await mkdir(project);
      await writeFile(
        join(project, 'composer.json'),
        JSON.stringify({
          repositories: [
            {
              type: 'package',
              package: {
                name: 'acme/hello',
                version: '1.0.0',
                dist: { type: 'zip', url: zip, shasum: '' },
                autoload: { 'psr-4': { 'Acme\\Hello\\': 'src/' } },
              },
            },
            { 'packagist.org': false },
          ],
          require: { 'acme/hello': '1.0.0' },
          config: { 'allow-plugins': false },
        }),
      );
      await run('composer', ['install', '--no-interaction', '--no-progress', '--no-plugins'], {
        cwd: project,
        env: composerEnv(join(temp.path, 'home')),
        timeout: 120_000,
      });
      const installed = await listDirectory(join(project, 'vendor/acme/hello'));
      expect(installed).toEqual(await gitArchiveListing(repo.dir, 'v1.0.0'));
      expect(installed['bin/hello']?.kind).toBe('executable');
      expect(installed['src/alias.php']).toEqual({ kind: 'symlink', bytes: 'Hello.php' });
      expect(archive.folder).toMatch(/^acme-hello-[0-9a-f]{7}\/$/);
    } finally {
      await repo.cleanup();
    }
  });
});

describe('when composer.json lists archive.exclude rules', () => {
  const rules = [
    '/tests',
    '*.md',
    '!README.md',
    'docs/',
    '**/fixtures',
    'a/**/b',
    '{x,y}.txt',
    '[ab].php',
    'src/*.tmp',
    'dir?/f',
    'Makefile',
    '/.github/',
    '!/docs/keep.txt',
    '*.{jpg,png}',
    'nested/dir/',
    '\\*.literal',
    'café/*.txt',
    '[',
    'price$.txt',
    'back\\\\slash',
    'plus+(1)|^x#',
  ];
  const paths = [
    'tests/a.php',
    'x/tests/a.php',
    'README.md',
    'x/CHANGELOG.md',
    '.hidden.md',
    'docs/a',
    'docs/keep.txt',
    'x/docs/b',
    'lib/fixtures/f',
    'fixtures',
    'a/b',
    'a/c/d/b',
    'ab',
    'x.txt',
    'y.txt',
    'z.txt',
    'a.php',
    'c.php',
    'src/x.tmp',
    'src/n/y.tmp',
    'dir1/f',
    'dir/f',
    'Makefile',
    'sub/Makefile',
    '.github/workflows/ci.yml',
    'img/logo.png',
    'img/logo.gif',
    'nested/dir/x',
    'other/nested/dir/x',
    '*.literal',
    'x.literal',
    'café/menu.txt',
    'cafe/menu.txt',
    'src/Hello.php',
    'price$.txt',
    'price.txt',
    'back\\slash',
    'backslash',
    'plus+(1)|^x#',
  ];

  it('excludes exactly what Composer’s own filter excludes, rule by rule and all together', async () => {
    const cases = [...rules.map((rule) => [rule]), rules];
    const script = `
      require '/usr/share/php/Composer/autoload.php';
      $input = json_decode(stream_get_contents(STDIN), true);
      $out = [];
      foreach ($input['cases'] as $case) {
        $filter = new Composer\\Package\\Archiver\\ComposerExcludeFilter('/src', $case);
        $row = [];
        foreach ($input['paths'] as $path) $row[] = $filter->filter('/' . $path, false);
        $out[] = $row;
      }
      echo json_encode($out);
    `;
    const php = promisify(execFile);
    const child = php('php', ['-r', script], { maxBuffer: 16 * 1024 * 1024 });
    child.child.stdin?.end(JSON.stringify({ cases, paths }));
    const composer: boolean[][] = JSON.parse((await child).stdout);
    const ours = cases.map((c) => {
      const excluded = composerExcludeMatcher(c);
      return paths.map((p) => excluded(p));
    });
    expect(ours).toEqual(composer);
  });

  it('leaves out the same files as `composer archive`, on top of export-ignore, only when asked to', async () => {
    const repo = await fixtureRepo(
      {
        'composer.json': `${JSON.stringify({
          name: 'acme/excluded',
          type: 'library',
          license: 'MIT',
          archive: { exclude: ['/tests', '*.md', '!README.md', 'docs/', '**/fixtures', '/phpunit.xml.dist'] },
        })}\n`,
        '.gitattributes': '/build export-ignore\n',
        'README.md': 'shipped',
        'CHANGELOG.md': 'excluded',
        'tests/Test.php': 'excluded',
        'docs/guide.txt': 'excluded',
        'src/fixtures/f.php': 'excluded',
        'src/Hello.php': '<?php',
        'build/out.js': 'export-ignored',
        'phpunit.xml.dist': 'excluded',
      },
      'acme/excluded',
    );
    try {
      const zip = join(temp.path, 'excluded.zip');
      const ours = await buildArchive({
        cwd: repo.dir,
        env: archiveGitEnv,
        ref: 'HEAD',
        outFile: zip,
        composerExclude: true,
      });
      const listing = await unzipListing(zip, ours.folder);
      const ourFiles = Object.keys(listing).filter((p) => listing[p]!.kind !== 'directory');
      const outDir = join(temp.path, 'composer-archive');
      await run('composer', ['archive', '--format=zip', `--dir=${outDir}`, '--file=excluded'], {
        cwd: repo.dir,
        env: composerEnv(join(temp.path, 'home')),
        timeout: 120_000,
      });
      const { stdout } = await run('unzip', ['-Z1', join(outDir, 'excluded.zip')]);
      const theirs = stdout
        .split('\n')
        .filter((line) => line !== '' && !line.endsWith('/'))
        .sort();
      expect(ourFiles.sort()).toEqual(theirs);
      expect(ourFiles).toEqual(['.gitattributes', 'README.md', 'composer.json', 'src/Hello.php']);

      // Off by default: then the zip holds what git archive holds (and GitHub's zipball).
      const plain = await buildArchive({
        cwd: repo.dir,
        env: archiveGitEnv,
        ref: 'HEAD',
        outFile: join(temp.path, 'plain.zip'),
      });
      expect(await unzipListing(plain.file, plain.folder)).toEqual(await gitArchiveListing(repo.dir, 'HEAD'));
      expect(plain.contentDigest).not.toBe(ours.contentDigest);
      expect((await contentDigestOfZip(zip)).contentDigest).toBe(ours.contentDigest);
    } finally {
      await repo.cleanup();
    }
  });

  it('refuses archive.exclude that is not a list of strings, with its code', async () => {
    const repo = await fixtureRepo({
      'composer.json': JSON.stringify({ name: 'acme/bad', archive: { exclude: '/tests' } }),
    });
    try {
      const error = await buildArchive({
        cwd: repo.dir,
        env: archiveGitEnv,
        ref: 'HEAD',
        outFile: join(temp.path, 'bad.zip'),
        composerExclude: true,
      }).catch((e) => e);
      expect(error.code).toBe('COMPOSER_JSON_INVALID');
    } finally {
      await repo.cleanup();
    }
  });
});
