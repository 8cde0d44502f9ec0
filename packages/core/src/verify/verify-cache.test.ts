import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../cache-dir.js';
import { VerifyCache } from './verify-cache.js';

let temp: TempDir;
beforeEach(async () => {
  temp = await makeTempDir();
});
afterEach(async () => {
  await temp.cleanup();
});

const isText = (value: unknown): value is { text: string } => typeof (value as { text?: unknown })?.text === 'string';
const cacheIn = (dir: string, phpublishVersion = '1.0.0', warnings: string[] = []) =>
  new VerifyCache({ dir, phpublishVersion }, (message) => warnings.push(message));

/** Every entry file of the cache, by path. */
async function entries(dir: string): Promise<string[]> {
  const files = await readdir(dir, { recursive: true });
  return files.filter((f) => f.endsWith('.json')).map((f) => join(dir, f));
}

describe('when a passed check is cached', () => {
  it('gives it back for exactly the same key and phpublish version, and for nothing else', async () => {
    const cache = cacheIn(temp.path);
    await cache.put('bundle', { bundleSha256: 'aa', identity: { workflow: 'release.yml' } }, { text: 'passed' });
    // Same key, properties in another order: the same entry.
    expect(await cache.get('bundle', { identity: { workflow: 'release.yml' }, bundleSha256: 'aa' }, isText)).toEqual({
      text: 'passed',
    });
    expect(await cache.get('bundle', { bundleSha256: 'aa', identity: { workflow: 'ci.yml' } }, isText)).toBeUndefined();
    expect(
      await cache.get('tag', { bundleSha256: 'aa', identity: { workflow: 'release.yml' } }, isText),
    ).toBeUndefined();
    const upgraded = cacheIn(temp.path, '1.0.1');
    expect(
      await upgraded.get('bundle', { bundleSha256: 'aa', identity: { workflow: 'release.yml' } }, isText),
    ).toBeUndefined();
    expect(cache.stats).toEqual({ hits: 1, misses: 2, rejected: 0, written: 1 });
  });

  it('writes atomically, readable by its owner only, and leaves no temporary file', async () => {
    const cache = cacheIn(temp.path);
    await Promise.all(Array.from({ length: 20 }, (_, i) => cache.put('dist', { distSha256: 'bb' }, { text: `${i}` })));
    const files = await readdir(temp.path, { recursive: true });
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const [entry] = await entries(temp.path);
    expect(await entries(temp.path)).toHaveLength(1);
    // Whichever write came last, the entry is whole.
    expect(await cache.get('dist', { distSha256: 'bb' }, isText)).toMatchObject({ text: expect.any(String) });
    if (process.platform !== 'win32') expect((await stat(entry!)).mode & 0o777).toBe(0o600);
  });
});

describe('when an entry is not what was written', () => {
  it('ignores an edited, a truncated or a foreign entry (another key’s file), and takes a new one', async () => {
    const cache = cacheIn(temp.path);
    await cache.put('bundle', { bundleSha256: 'good' }, { text: 'made by release.yml' });
    await cache.put('bundle', { bundleSha256: 'other' }, { text: 'made by ci.yml' });
    const files = await entries(temp.path);
    const contents = await Promise.all(files.map((f) => readFile(f, 'utf8')));
    const first = files[contents.findIndex((c) => c.includes('release.yml'))];
    const second = files[contents.findIndex((c) => c.includes('ci.yml'))];
    const original = await readFile(first!, 'utf8');

    // Edited value, checksum left as it was.
    await writeFile(first!, original.replace(/made by [a-z.]+/, 'made by anyone'));
    expect(await cache.get('bundle', { bundleSha256: 'good' }, isText)).toBeUndefined();
    expect(await cache.get('bundle', { bundleSha256: 'other' }, isText)).toBeDefined();
    await writeFile(first!, original.slice(0, original.length / 2));
    expect(await cache.get('bundle', { bundleSha256: 'good' }, isText)).toBeUndefined();
    await writeFile(first!, 'null');
    expect(await cache.get('bundle', { bundleSha256: 'good' }, isText)).toBeUndefined();
    // The other entry, whole and genuine, in this one's place: it is for another key.
    await writeFile(first!, await readFile(second!));
    expect(await cache.get('bundle', { bundleSha256: 'good' }, isText)).toBeUndefined();
    await writeFile(first!, original);
    expect(await cache.get('bundle', { bundleSha256: 'good' }, (v): v is number => typeof v === 'number')).toBe(
      undefined,
    );
    expect(cache.stats.rejected).toBe(5);

    await cache.put('bundle', { bundleSha256: 'good' }, { text: 'made by release.yml' });
    expect(await cache.get('bundle', { bundleSha256: 'good' }, isText)).toEqual({ text: 'made by release.yml' });
  });
});

describe('when the cache folder cannot be trusted or written', () => {
  it.skipIf(process.platform === 'win32')(
    'does not use a folder other users can write to, and says so once',
    async () => {
      const shared = join(temp.path, 'shared');
      await mkdir(shared);
      await chmod(shared, 0o777);
      const warnings: string[] = [];
      const cache = cacheIn(shared, '1.0.0', warnings);
      await cache.put('dist', { distSha256: 'cc' }, { text: 'x' });
      expect(await cache.get('dist', { distSha256: 'cc' }, isText)).toBeUndefined();
      expect(await entries(shared)).toEqual([]);
      expect(warnings).toEqual([expect.stringMatching(/can be written by other users; not using it/)]);
    },
  );

  it('goes on without a cache that cannot be created', async () => {
    const file = join(temp.path, 'a-file');
    await writeFile(file, 'not a folder');
    const warnings: string[] = [];
    const cache = cacheIn(file, '1.0.0', warnings);
    await cache.put('dist', { distSha256: 'dd' }, { text: 'x' });
    expect(await cache.get('dist', { distSha256: 'dd' }, isText)).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/cannot be used/)]);
  });
});

describe('defaultCacheDir', () => {
  it('follows XDG_CACHE_HOME, then LOCALAPPDATA on Windows, then ~/.cache; none without a home', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/a' }, 'linux')).toBe('/x/cache/phpublish');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/a' }, 'linux')).toBe('/home/a/.cache/phpublish');
    expect(defaultCacheDir({ HOME: '/home/a' }, 'darwin')).toBe('/home/a/.cache/phpublish');
    expect(defaultCacheDir({ LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, 'win32')).toMatch(/phpublish/);
    expect(defaultCacheDir({}, 'linux')).toBeUndefined();
  });
});
