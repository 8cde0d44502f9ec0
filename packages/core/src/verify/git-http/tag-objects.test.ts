// Tag objects kept by the verification cache (tagObjectStore): an unmoved tag is not fetched again,
// and a kept entry is only ever the object the repository advertises.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SandboxGitHttpBackend, startSandboxGitHttpBackend } from '@phpublish/sandbox';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHttpDeps } from '../../http/testing/deps.js';
import { tagObjectStore } from '../cached-checks.js';
import { VerifyCache } from '../verify-cache.js';
import { fetchTagOverHttp } from './fetch-tag-over-http.js';

let repo: PhpPackageRepo;
let dir: TempDir;
let backend: SandboxGitHttpBackend;
const agent = new Agent();
const http = testHttpDeps(agent, { timeoutMs: 10_000 });
let caches = 0;

beforeAll(async () => {
  repo = await createPhpPackageRepo({
    name: 'acme/hello',
    tags: [
      { name: 'v1.0.0', annotated: true, message: 'Release v1.0.0' },
      { name: 'v2.0.0', annotated: true, message: 'Release v2.0.0' },
    ],
  });
  dir = await makeTempDir('phpublish-tag-objects-');
  backend = await startSandboxGitHttpBackend();
  backend.addRepository('/acme/hello.git', repo.dir);
});

afterAll(async () => {
  await agent.close();
  await backend.close();
  await repo.cleanup();
  await dir.cleanup();
});

function newCache(): { cache: VerifyCache; cacheDir: string } {
  const cacheDir = join(dir.path, `cache-${++caches}`);
  return { cache: new VerifyCache({ dir: cacheDir, phpublishVersion: '0.0.0-test' }), cacheDir };
}

/** The tag over HTTP with the cache's tag objects, and how many protocol requests it took. */
async function fetchWith(cache: VerifyCache, tag: string) {
  const before = backend.requests.filter((r) => r.startsWith('POST')).length;
  const url = `${backend.url}/acme/hello.git`;
  const fetched = await fetchTagOverHttp({ url, tag, display: url, http, tagObjects: tagObjectStore(cache) });
  return { fetched, posts: backend.requests.filter((r) => r.startsWith('POST')).length - before };
}

describe('when the cache kept the tag object the repository still advertises', () => {
  it('asks for the refs only, and gives the same tag as a fetch', async () => {
    const { cache } = newCache();
    const first = await fetchWith(cache, 'v1.0.0');
    expect(first.posts).toBe(2); // ls-refs, then fetch
    expect(first.fetched.kind).toBe('annotated');
    const again = await fetchWith(cache, 'v1.0.0');
    expect(again.posts).toBe(1); // ls-refs only
    expect(again.fetched).toEqual(first.fetched);
    expect(cache.stats).toMatchObject({ hits: 1, written: 1, rejected: 0 });
  });
});

describe('when the kept bytes are not the advertised object', () => {
  it('ignores an entry holding another signed tag’s bytes, and fetches', async () => {
    const v2 = await fetchWith(newCache().cache, 'v2.0.0');
    const v1 = await fetchWith(newCache().cache, 'v1.0.0');
    if (v1.fetched.kind !== 'annotated' || v2.fetched.kind !== 'annotated') throw new Error('annotated tags expected');
    // Someone who can write the cache plants v2.0.0's object (validly signed, elsewhere) under v1.0.0's id,
    // as a whole entry with a matching checksum.
    const { cache: forger } = newCache();
    await forger.put('tag-object', { format: 'sha1', oid: v1.fetched.oid }, v2.fetched.raw.toString('base64'));
    const got = await fetchWith(forger, 'v1.0.0');
    expect(got.posts).toBe(2);
    expect(got.fetched).toEqual(v1.fetched);
    expect(forger.stats.rejected).toBe(1);
  });

  it('ignores a damaged entry, fetches, and writes the object again', async () => {
    const { cache, cacheDir } = newCache();
    const first = await fetchWith(cache, 'v1.0.0');
    const entries = join(cacheDir, 'verify-v1', 'tag-object');
    const [file] = await readdir(entries);
    await writeFile(join(entries, file!), '{"format":"phpublish-verify-cache-v1"');
    const later = new VerifyCache({ dir: cacheDir, phpublishVersion: '0.0.0-test' });
    const again = await fetchWith(later, 'v1.0.0');
    expect(again.posts).toBe(2);
    expect(again.fetched).toEqual(first.fetched);
    expect(later.stats).toMatchObject({ rejected: 1, written: 1 });
  });
});

describe('when the tag was moved since', () => {
  it('fetches the new object and gives the new commit', async () => {
    const { cache } = newCache();
    const before = await fetchWith(cache, 'v1.0.0');
    const moved = await repo.commit({ 'MOVED.txt': 'moved\n' }, 'Move');
    await repo.tag('v1.0.0', { force: true, ref: moved, annotated: true, message: 'Release v1.0.0 again' });
    const after = await fetchWith(cache, 'v1.0.0');
    expect(after.posts).toBe(2);
    expect(after.fetched).toMatchObject({ kind: 'annotated', commit: moved });
    expect(after.fetched).not.toEqual(before.fetched);
  });
});
