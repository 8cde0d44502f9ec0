import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { type PackagistFixture, startPackagistFixture } from '@phpublish/testing/packagist';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Every file under `root` (relative paths, sorted) with its contents. */
async function filesUnder(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files.set(relative(root, path), await readFile(path));
    }
  };
  await walk(root);
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Debian's composer, isolated: its home and cache in temp dirs, no prompts, no audit (which would ask
 * packagist.org), and only the environment variables named here (no tokens).
 */
function composerEnv(home: string): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    COMPOSER_HOME: join(home, 'composer'),
    COMPOSER_CACHE_DIR: join(home, 'cache'),
    COMPOSER_ALLOW_SUPERUSER: '1',
    COMPOSER_NO_INTERACTION: '1',
    COMPOSER_NO_AUDIT: '1',
    COMPOSER_DISABLE_XDEBUG_WARN: '1',
    // Anything Composer would fetch from elsewhere goes to a proxy that refuses connections, so the
    // install fails loudly instead of reaching out; only the sandbox on 127.0.0.1 is reached directly.
    http_proxy: 'http://127.0.0.1:9',
    https_proxy: 'http://127.0.0.1:9',
    no_proxy: '127.0.0.1',
    LC_ALL: 'C',
  };
}

describe('when Composer installs a package from the sandbox', () => {
  let fx: PackagistFixture;
  let work: TempDir;
  afterEach(async () => {
    await fx.cleanup();
    await work.cleanup();
  });

  it('installs exactly the files of git archive of the tagged commit', async () => {
    fx = await startPackagistFixture({ tags: [] });
    work = await makeTempDir('phpublish-composer-');
    await fx.repo.commit(
      {
        '.gitattributes': '/tests export-ignore\n/.gitattributes export-ignore\n',
        'tests/HelloTest.php': '<?php\n// not shipped\n',
        'README.md': '# Hello\n',
        'bin/hello': '#!/usr/bin/env php\n<?php echo "hello\\n";\n',
      },
      'Add tests, docs and a script',
    );
    const tagged = await fx.repo.tag('v1.0.0', { annotated: true });
    // A later commit that must not be what gets installed.
    await fx.repo.commit({ 'src/Hello.php': '<?php // unreleased\n' }, 'Unreleased change');
    expect((await fx.packagist.crawlNow('acme/hello')).status).toBe('completed');

    const project = join(work.path, 'project');
    await mkdir(project);
    await writeFile(
      join(project, 'composer.json'),
      JSON.stringify({
        repositories: [{ type: 'composer', url: fx.packagist.url }, { 'packagist.org': false }],
        config: { 'secure-http': false, audit: { abandoned: 'ignore' } },
      }),
    );
    await run(
      'composer',
      ['require', 'acme/hello:^1.0', '--no-interaction', '--no-audit', '--no-progress', '--no-plugins'],
      { cwd: project, env: composerEnv(join(work.path, 'home')), timeout: 120_000 },
    );

    const expected = join(work.path, 'expected');
    await mkdir(expected);
    const tar = join(work.path, 'expected.tar');
    await fx.repo.git(['archive', '--format=tar', `--output=${tar}`, 'v1.0.0']);
    await run('tar', ['-xf', tar, '-C', expected]);

    const installed = await filesUnder(join(project, 'vendor/acme/hello'));
    const archived = await filesUnder(expected);
    expect([...installed.keys()]).toEqual(['README.md', 'bin/hello', 'composer.json', 'src/Hello.php']);
    expect([...installed.keys()]).toEqual([...archived.keys()]);
    for (const [path, contents] of archived) expect(installed.get(path)?.equals(contents), path).toBe(true);

    const lock = JSON.parse(await readFile(join(project, 'composer.lock'), 'utf8'));
    expect(lock.packages).toHaveLength(1);
    expect(lock.packages[0]).toMatchObject({
      name: 'acme/hello',
      version: 'v1.0.0',
      source: { reference: tagged },
      dist: { type: 'zip', reference: tagged },
    });

    // Composer talked to the sandbox only, for the root file, the metadata and the dist.
    const paths = fx.packagist.requests.map((request) => `${request.method} ${request.url}`);
    expect(paths).toContain('GET /packages.json');
    expect(paths).toContain('GET /p2/acme/hello.json');
    expect(paths).toContain(`GET /dists/acme/hello/${tagged}.zip`);
  });
});
