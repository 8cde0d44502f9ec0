import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type PackagistFixture, p2Versions, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('when Packagist crawls a package', () => {
  let fx: PackagistFixture;
  afterEach(async () => {
    await fx.cleanup();
  });

  const notify = async () => {
    const response = await fx.postJson('/api/update-package', { repository: REPOSITORY_URL });
    expect(response.status).toBe(202);
    return ((await response.json()) as { jobs: string[] }).jobs[0]!;
  };
  const versions = async () => p2Versions((await fx.getJson('/p2/acme/hello.json')).body);
  const byVersion = async (version: string) => (await versions()).find((entry) => entry['version'] === version);

  describe('when a client follows the job', () => {
    it('reports running until the crawl finished, then the stored result', async () => {
      fx = await startPackagistFixture({ sandbox: { crawlDelayMs: 200 } });
      const id = await notify();
      expect((await fx.getJson(`/jobs/${id}`)).body).toEqual({ status: 'running', message: '' });
      let result: Record<string, unknown> = {};
      for (let attempt = 0; attempt < 200; attempt++) {
        result = (await fx.getJson(`/jobs/${id}`)).body as Record<string, unknown>;
        if (result['status'] !== 'running') break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(Object.keys(result)).toEqual(['status', 'message', 'details', 'vendor']);
      expect(result['status']).toBe('completed');
      expect(result['message']).toBe('Update of acme/hello complete');
      expect(result['vendor']).toBe('acme');
      expect(result['details']).toMatch(/^<pre>[\s\S]*Importing tag v1\.0\.0 \(1\.0\.0\.0\)[\s\S]*<\/pre>$/);
    });

    it('finishes the queued job when a test crawls now', async () => {
      fx = await startPackagistFixture({ sandbox: { crawlDelayMs: 60_000 } });
      const id = await notify();
      const crawl = await fx.packagist.crawlNow('acme/hello');
      expect(crawl.id).toBe(id);
      expect(((await fx.getJson(`/jobs/${id}`)).body as { status: string }).status).toBe('completed');
      // Nothing is left queued: the next notification gets a new job.
      expect(await notify()).not.toBe(id);
    });

    it('answers running for an unknown id, 404 for a malformed one, and needs no credentials', async () => {
      fx = await startPackagistFixture();
      expect((await fx.getJson(`/jobs/${'a'.repeat(40)}`)).body).toEqual({ status: 'running', message: '' });
      expect((await fetch(`${fx.packagist.url}/jobs/XYZ`)).status).toBe(404);
      expect((await fetch(`${fx.packagist.url}/jobs/${'a'.repeat(40)}`, { method: 'POST' })).status).toBe(405);
    });

    it('forgets a result after 600 seconds', async () => {
      let now = Date.UTC(2026, 5, 1);
      fx = await startPackagistFixture({ sandbox: { clock: { now: () => now } } });
      const { id } = await fx.packagist.crawlNow('acme/hello');
      expect(((await fx.getJson(`/jobs/${id}`)).body as { status: string }).status).toBe('completed');
      now += 600_001;
      expect((await fx.getJson(`/jobs/${id}`)).body).toEqual({ status: 'running', message: '' });
    });
  });

  describe('when the repository has tags', () => {
    it('publishes each valid tag with Packagist’s fields, newest first', async () => {
      fx = await startPackagistFixture({ tags: ['v1.0.0'], sandbox: { clock: { now: () => Date.UTC(2026, 5, 1) } } });
      const first = fx.repo.head;
      const second = await fx.repo.commit({ 'README.md': '# Hello\n' }, 'Docs');
      await fx.repo.tag('v1.1.0-beta.1');
      await fx.repo.tag('v1.1.0', { annotated: true });
      await fx.packagist.idle();
      await notify();
      await fx.packagist.idle();

      const all = await versions();
      expect(all.map((entry) => [entry['version'], entry['version_normalized']])).toEqual([
        ['v1.1.0', '1.1.0.0'],
        ['v1.1.0-beta.1', '1.1.0.0-beta1'],
        ['v1.0.0', '1.0.0.0'],
      ]);
      const v100 = all[2]!;
      const distUrl = `${fx.packagist.url}/dists/acme/hello/${first}.zip`;
      const zip = Buffer.from(await (await fetch(distUrl)).arrayBuffer());
      expect(v100).toEqual({
        name: 'acme/hello',
        description: 'Says hello (a phpublish test package).',
        keywords: [],
        homepage: '',
        version: 'v1.0.0',
        version_normalized: '1.0.0.0',
        license: ['MIT'],
        authors: [],
        source: { url: 'https://github.com/acme/hello.git', type: 'git', reference: first },
        dist: { url: distUrl, type: 'zip', shasum: createHash('sha1').update(zip).digest('hex'), reference: first },
        type: 'library',
        support: {
          issues: 'https://github.com/acme/hello/issues',
          source: 'https://github.com/acme/hello/tree/v1.0.0',
        },
        funding: [],
        time: '2026-01-01T00:01:00+00:00',
        'published-time': '2026-06-01T00:00:00+00:00',
        autoload: { 'psr-4': { 'Acme\\Hello\\': 'src/' } },
        require: { php: '>=8.1' },
      });
      // Key order as Packagist writes it (MySQL's for the JSON columns).
      expect(Object.keys(v100['source'] as object)).toEqual(['url', 'type', 'reference']);
      expect(Object.keys(v100['dist'] as object)).toEqual(['url', 'type', 'shasum', 'reference']);
      expect(all[0]?.['source']).toMatchObject({ reference: second });
      expect(all[0]?.['time']).toBe('2026-01-01T00:03:00+00:00');
    });

    it('skips tags Composer would skip, and says why in the job details', async () => {
      fx = await startPackagistFixture({ tags: ['v1.0.0', 'not-a-version', 'v2.0.0-dev', '1.0.0'] });
      await fx.repo.commit({ 'composer.json': '{"name": "acme/hello", "version": "3.0.0"}' }, 'Pin a version');
      await fx.repo.tag('v3.1.0');
      await fx.repo.commit({ 'composer.json': '{"name": ' }, 'Break composer.json');
      await fx.repo.tag('v4.0.0');
      await fx.repo.commit({ 'composer.json': null }, 'Remove composer.json');
      await fx.repo.tag('v5.0.0');
      await fx.repo.commit({ 'composer.json': '{"name":"acme/hello"}' }, 'Restore');
      await fx.repo.tag('release-6.0.0');

      const crawl = await fx.packagist.crawlNow('acme/hello');
      expect(crawl.status).toBe('completed');
      const details = crawl.details ?? '';
      expect(details).toContain('Skipped tag not-a-version, invalid tag name');
      expect(details).toContain('Skipped tag v2.0.0-dev, invalid tag name, tags can not use dev prefixes or suffixes');
      expect(details).toContain('Skipped tag v3.1.0, tag (3.1.0.0) does not match version (3.0.0.0) in composer.json');
      expect(details).toMatch(
        /Skipped tag v4\.0\.0, &quot;[0-9a-f]{40}:composer\.json&quot; does not contain valid JSON/,
      );
      expect(details).toContain('Skipped tag v5.0.0, no composer file');
      expect(details).toMatch(
        /Skipped tag v1\.0\.0, it conflicts with an another tag \(1\.0\.0\) as both resolve to 1\.0\.0\.0 internally/,
      );
      expect((await versions()).map((entry) => entry['version'])).toEqual(['6.0.0', '1.0.0']);
    });

    it('publishes tags under the package’s name whatever their composer.json says', async () => {
      fx = await startPackagistFixture({ tags: [] });
      await fx.repo.commit({ 'composer.json': '{"name": "evil/other", "description": "renamed"}' }, 'Rename');
      await fx.repo.tag('v1.0.0');
      await fx.repo.commit({ 'composer.json': '{"name": "acme/hello"}' }, 'Rename back');
      await fx.packagist.crawlNow('acme/hello');
      const v100 = await byVersion('v1.0.0');
      expect(v100?.['name']).toBe('acme/hello');
      expect(v100?.['description']).toBe('renamed');
    });
  });

  describe('when a published tag is moved to another commit', () => {
    it('keeps the old reference, completes the job and says it refused', async () => {
      fx = await startPackagistFixture({ tags: ['v1.0.0'] });
      const original = fx.repo.head;
      await notify();
      await fx.packagist.idle();
      expect((await byVersion('v1.0.0'))?.['source']).toMatchObject({ reference: original });

      const moved = await fx.repo.commit({ 'src/Hello.php': '<?php // changed\n' }, 'Change');
      await fx.repo.tag('v1.0.0', { force: true });
      const id = await notify();
      await fx.packagist.idle();

      const job = (await fx.getJson(`/jobs/${id}`)).body as Record<string, string>;
      expect(job['status']).toBe('completed');
      expect(job['message']).toBe('Update of acme/hello complete');
      expect(job['details']).toContain(
        `Refusing to update stable version v1.0.0: reference changed (was ${original}, now ${moved}). Stable versions are immutable; tag a new version to publish changes.`,
      );
      const v100 = await byVersion('v1.0.0');
      expect(v100?.['source']).toMatchObject({ reference: original });
      expect(v100?.['dist']).toMatchObject({ reference: original, url: expect.stringContaining(original) });

      // The same attempted reference is reported once; the version stays frozen.
      const again = await fx.packagist.crawlNow('acme/hello');
      expect(again.details).not.toContain('Refusing');
      expect((await byVersion('v1.0.0'))?.['source']).toMatchObject({ reference: original });
    });

    it('keeps a pre-release frozen too', async () => {
      fx = await startPackagistFixture({ tags: ['v2.0.0-RC1'] });
      const original = fx.repo.head;
      await fx.packagist.crawlNow('acme/hello');
      await fx.repo.commit({ 'README.md': 'x' }, 'Change');
      await fx.repo.tag('v2.0.0-RC1', { force: true });
      const crawl = await fx.packagist.crawlNow('acme/hello');
      expect(crawl.details).toContain('Refusing to update stable version v2.0.0-RC1');
      expect((await byVersion('v2.0.0-RC1'))?.['source']).toMatchObject({ reference: original });
    });
  });

  describe('when a tag disappears', () => {
    it('drops the version from p2, and a re-created tag comes back with its first reference', async () => {
      fx = await startPackagistFixture({ tags: ['v1.0.0', 'v1.0.1'] });
      const original = fx.repo.head;
      await fx.packagist.crawlNow('acme/hello');
      expect((await versions()).map((entry) => entry['version'])).toEqual(['v1.0.1', 'v1.0.0']);

      await fx.repo.git(['tag', '-d', 'v1.0.1']);
      await fx.packagist.crawlNow('acme/hello');
      expect((await versions()).map((entry) => entry['version'])).toEqual(['v1.0.0']);

      await fx.repo.commit({ 'README.md': 'again' }, 'Change');
      await fx.repo.tag('v1.0.1');
      const crawl = await fx.packagist.crawlNow('acme/hello');
      expect(crawl.details).toContain('Refusing to update stable version v1.0.1');
      expect((await byVersion('v1.0.1'))?.['source']).toMatchObject({ reference: original });
    });
  });

  describe('when the repository has branches', () => {
    it('publishes them in ~dev.json, the default branch first and marked, and follows pushes', async () => {
      fx = await startPackagistFixture({ tags: ['v1.0.0'] });
      await fx.repo.git(['branch', '1.x']);
      await fx.packagist.crawlNow('acme/hello');
      const dev = async () => p2Versions((await fx.getJson('/p2/acme/hello~dev.json')).body);
      const before = await dev();
      expect(before.map((entry) => [entry['version'], entry['version_normalized'], entry['default-branch']])).toEqual([
        ['dev-main', 'dev-main', true],
        ['1.x-dev', '1.9999999.9999999.9999999-dev', undefined],
      ]);
      expect((await fx.getJson('/p2/acme/hello~dev.json')).body).not.toHaveProperty('security-advisories');

      const pushed = await fx.repo.commit({ 'README.md': 'x' }, 'Change');
      await fx.packagist.crawlNow('acme/hello');
      expect((await dev())[0]?.['source']).toMatchObject({ reference: pushed });
    });
  });

  describe('when serving p2 metadata', () => {
    it('answers 404 for a package it does not know, and for a name not in lowercase', async () => {
      fx = await startPackagistFixture();
      expect((await fetch(`${fx.packagist.url}/p2/acme/unknown.json`)).status).toBe(404);
      expect((await fetch(`${fx.packagist.url}/p2/Acme/Hello.json`)).status).toBe(404);
    });

    it('moves Last-Modified only when the content changes, and honours If-Modified-Since', async () => {
      let now = Date.UTC(2026, 5, 1, 12, 0, 0);
      fx = await startPackagistFixture({ sandbox: { clock: { now: () => now } } });
      await fx.packagist.crawlNow('acme/hello');
      const first = await fetch(`${fx.packagist.url}/p2/acme/hello.json`);
      const lastModified = first.headers.get('last-modified')!;
      expect(Date.parse(lastModified)).toBeGreaterThanOrEqual(now);

      now += 60_000;
      await fx.packagist.crawlNow('acme/hello');
      const unchanged = await fetch(`${fx.packagist.url}/p2/acme/hello.json`, {
        headers: { 'if-modified-since': lastModified },
      });
      expect(unchanged.status).toBe(304);
      expect(await unchanged.text()).toBe('');

      await fx.repo.tag('v1.0.1');
      await fx.packagist.crawlNow('acme/hello');
      const changed = await fetch(`${fx.packagist.url}/p2/acme/hello.json`, {
        headers: { 'if-modified-since': lastModified },
      });
      expect(changed.status).toBe(200);
      expect(changed.headers.get('last-modified')).toBe('Mon, 01 Jun 2026 12:01:00 GMT');
    });

    it('never gives two versions of a file the same Last-Modified', async () => {
      const now = Date.UTC(2026, 5, 1, 12, 0, 0);
      fx = await startPackagistFixture({ sandbox: { clock: { now: () => now } } });
      await fx.packagist.crawlNow('acme/hello');
      const first = (await fetch(`${fx.packagist.url}/p2/acme/hello.json`)).headers.get('last-modified')!;
      await fx.repo.tag('v1.0.1');
      await fx.packagist.crawlNow('acme/hello');
      const second = await fetch(`${fx.packagist.url}/p2/acme/hello.json`, { headers: { 'if-modified-since': first } });
      expect(second.status).toBe(200);
      expect(Date.parse(second.headers.get('last-modified')!)).toBeGreaterThan(Date.parse(first));
    });

    it('updates p2 only after the dump delay', async () => {
      fx = await startPackagistFixture({ sandbox: { dumpDelayMs: 300 } });
      await fx.packagist.idle();
      const crawl = await fx.packagist.crawlNow('acme/hello');
      expect(crawl.status).toBe('completed');
      expect(await versions()).toEqual([]);
      await fx.packagist.idle();
      expect(await versions()).toHaveLength(1);
    });
  });

  describe('when Composer downloads a dist', () => {
    it('serves the zip of git archive, under a GitHub-like folder, the same bytes every time', async () => {
      fx = await startPackagistFixture({ tags: [] });
      await fx.repo.commit({ '.gitattributes': '/tests export-ignore\n', 'tests/HelloTest.php': '<?php\n' }, 'Tests');
      await fx.repo.tag('v1.0.0');
      await fx.packagist.crawlNow('acme/hello');
      const v100 = await byVersion('v1.0.0');
      const dist = v100?.['dist'] as { url: string; shasum: string };
      const download = async () => Buffer.from(await (await fetch(dist.url)).arrayBuffer());
      const zip = await download();
      expect(createHash('sha1').update(zip).digest('hex')).toBe(dist.shasum);
      expect((await download()).equals(zip)).toBe(true);

      const tmp = await makeTempDir();
      try {
        await writeFile(join(tmp.path, 'dist.zip'), zip);
        const listing = await run('php', [
          '-r',
          '$z = new ZipArchive(); $z->open($argv[1]); for ($i = 0; $i < $z->numFiles; $i++) echo $z->getNameIndex($i), "\\n";',
          join(tmp.path, 'dist.zip'),
        ]);
        const names = listing.stdout
          .trim()
          .split('\n')
          .filter((name) => !name.endsWith('/'));
        const folder = `acme-hello-${fx.repo.head.slice(0, 7)}`;
        expect(names.sort()).toEqual([
          `${folder}/.gitattributes`,
          `${folder}/composer.json`,
          `${folder}/src/Hello.php`,
        ]);
      } finally {
        await tmp.cleanup();
      }
      expect((await fetch(`${fx.packagist.url}/dists/acme/hello/${'0'.repeat(40)}.zip`)).status).toBe(404);
    });
  });

  describe('when the repository is gone', () => {
    it('marks the package gone and frozen', async () => {
      fx = await startPackagistFixture({ known: false });
      fx.packagist.addPackage({
        name: 'acme/gone',
        repositoryUrl: 'https://github.com/acme/gone',
        maintainers: ['alice'],
      });
      const crawl = await fx.packagist.crawlNow('acme/gone');
      expect(crawl.status).toBe('package_gone');
      expect(crawl.message).toBe(
        'Update of acme/gone failed, package appears to be 404/gone and has been marked frozen.',
      );
    });
  });
});
