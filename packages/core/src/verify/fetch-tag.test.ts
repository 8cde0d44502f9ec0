import { type AddressInfo, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { gitEnv } from '@phpublish/testing/git';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { isFetchableTagName, isFetchableUrl, TagFetcher } from './fetch-tag.js';

const URL = 'https://github.com/acme/hello.git';
let repo: PhpPackageRepo;
let scratch: TempDir;
/** The user's environment: git reads https://github.com/acme/hello.git from the local repository. */
let env: Record<string, string>;

beforeAll(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: [{ name: 'v1.0.0', annotated: true }, 'v1.1.0'] });
  scratch = await makeTempDir('phpublish-tags-');
  env = { ...gitEnv(), GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_1: `url.${repo.dir}.insteadOf`, GIT_CONFIG_VALUE_1: URL };
});

afterAll(async () => {
  await repo.cleanup();
  await scratch.cleanup();
});

describe('TagFetcher', () => {
  describe('when the repository has the tag', () => {
    it('fetches an annotated tag object and the commit it peels to, again and again in one repository', async () => {
      const fetcher = new TagFetcher(join(scratch.path, 'one'), env);
      const first = await fetcher.fetch(URL, 'v1.0.0');
      expect(first.kind).toBe('annotated');
      if (first.kind !== 'annotated') return;
      expect(first.commit).toBe(repo.head);
      expect(first.raw.toString('utf8')).toMatch(/^object [0-9a-f]{40}\ntype commit\ntag v1\.0\.0\n/);
      expect(await fetcher.fetch(URL, 'v1.0.0')).toEqual(first);
      expect(await fetcher.fetch(URL, 'v1.1.0')).toEqual({ kind: 'lightweight', commit: repo.head });
      await fetcher.close();
    });
  });

  describe('when it does not', () => {
    it('says the tag is missing', async () => {
      const fetcher = new TagFetcher(join(scratch.path, 'two'), env);
      expect(await fetcher.fetch(URL, 'v9.9.9')).toEqual({ kind: 'missing' });
    });

    it('fails with VERIFY_REPOSITORY_UNREACHABLE when git cannot fetch, with git’s reason', async () => {
      const fetcher = new TagFetcher(join(scratch.path, 'three'), env);
      const error = await fetcher.fetch('https://github.com/acme/gone.git', 'v1.0.0').catch((e: unknown) => e);
      expect(isPhpublishError(error, 'VERIFY_REPOSITORY_UNREACHABLE')).toBe(true);
      expect((error as Error).message).not.toMatch(/warning:/);
    });

    it('stops a fetch from a server that accepts and never answers, with VERIFY_REPOSITORY_UNREACHABLE', async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => void sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as AddressInfo;
      try {
        const fetcher = new TagFetcher(join(scratch.path, 'four'), gitEnv(), { timeoutMs: 1500 });
        const started = Date.now();
        const error = await fetcher.fetch(`http://127.0.0.1:${port}/acme/hello.git`, 'v1.0.0').catch((e: unknown) => e);
        expect(isPhpublishError(error, 'VERIFY_REPOSITORY_UNREACHABLE')).toBe(true);
        expect((error as Error).message).toContain('did not finish within 2 s');
        expect(Date.now() - started).toBeLessThan(15_000);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });
  });
});

describe('what may be fetched', () => {
  it.each([
    ['https://github.com/acme/hello.git', true],
    ['git@github.com:acme/hello.git', true],
    ['ssh://git@example.org:2222/acme/hello.git', true],
    ['/home/me/secret-repo', false],
    ['file:///etc', false],
    ['ext::sh -c touch% /tmp/pwned', false],
    ['-uhttps://x', false],
  ])('%s → %s', (url, fetchable) => {
    expect(isFetchableUrl(url)).toBe(fetchable);
  });

  it.each([
    ['v1.2.0', true],
    ['1.2.0-RC1', true],
    ['release-1.0+build', true],
    ['v1:refs/heads/main', false],
    ['--upload-pack=x', false],
    ['a..b', false],
    ['v1 2', false],
  ])('tag %s → %s', (tag, fetchable) => {
    expect(isFetchableTagName(tag)).toBe(fetchable);
  });
});
