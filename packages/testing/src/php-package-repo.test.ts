import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { git } from './git.js';
import { createBareRemote, createPhpPackageRepo, namespaceFor, type PhpPackageRepo } from './php-package-repo.js';

describe('when creating a PHP package repository', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  const track = <T extends { cleanup(): Promise<void> }>(value: T): T => {
    cleanups.push(() => value.cleanup());
    return value;
  };

  it('commits a valid composer.json and a class', async () => {
    const repo = track(await createPhpPackageRepo({ name: 'acme/hello-world' }));
    const composer = JSON.parse(await repo.git(['show', 'HEAD:composer.json']));
    expect(composer).toEqual({
      name: 'acme/hello-world',
      description: expect.any(String),
      type: 'library',
      license: 'MIT',
      autoload: { 'psr-4': { 'Acme\\HelloWorld\\': 'src/' } },
      require: { php: '>=8.1' },
    });
    expect(await readFile(join(repo.dir, 'src/Hello.php'), 'utf8')).toContain('namespace Acme\\HelloWorld;');
    expect(repo.head).toMatch(/^[0-9a-f]{40}$/);
    expect((await repo.git(['status', '--porcelain'])).trim()).toBe('');
  });

  it('creates lightweight and annotated tags on the first commit', async () => {
    const repo = track(
      await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0', { name: 'v1.0.1', annotated: true }] }),
    );
    expect((await repo.git(['cat-file', '-t', 'refs/tags/v1.0.0'])).trim()).toBe('commit');
    expect((await repo.git(['cat-file', '-t', 'refs/tags/v1.0.1'])).trim()).toBe('tag');
    expect((await repo.git(['rev-parse', 'v1.0.1^{commit}'])).trim()).toBe(repo.head);
  });

  it('commits changes and deletions, each a minute later, and moves tags on request', async () => {
    const repo: PhpPackageRepo = track(await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] }));
    const first = repo.head;
    const second = await repo.commit({ 'README.md': '# Hello\n', 'src/Hello.php': null }, 'Docs');
    expect(second).not.toBe(first);
    expect(repo.head).toBe(second);
    expect((await repo.git(['ls-tree', '-r', '--name-only', 'HEAD'])).trim().split('\n')).toEqual([
      'README.md',
      'composer.json',
    ]);
    const times = (await repo.git(['log', '--format=%cI'])).trim().split('\n');
    expect(times).toEqual(['2026-01-01T00:03:00+00:00', '2026-01-01T00:01:00+00:00']);
    await expect(repo.tag('v1.0.0')).rejects.toThrow(/already exists/);
    expect(await repo.tag('v1.0.0', { force: true })).toBe(second);
  });

  it('writes into a given directory and leaves it on cleanup', async () => {
    const outer = track(await createPhpPackageRepo({ name: 'acme/outer' }));
    const dir = join(outer.dir, 'nested');
    const repo = await createPhpPackageRepo({ dir, name: 'acme/inner' });
    await repo.cleanup();
    expect((await git(dir, ['rev-parse', '--show-toplevel'])).trim()).toBe(dir);
  });

  it('pushes to a bare remote', async () => {
    const repo = track(await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] }));
    const remote = track(await createBareRemote());
    await repo.git(['push', '--quiet', remote.dir, 'main', '--tags']);
    expect((await git(remote.dir, ['rev-parse', 'refs/tags/v1.0.0'])).trim()).toBe(repo.head);
  });

  it('derives the namespace from the package name', () => {
    expect(namespaceFor('my-vendor/some_lib.core')).toBe('MyVendor\\SomeLibCore');
  });
});
