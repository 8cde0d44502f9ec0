import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@phpublish/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { readComposerLock } from './lock.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('phpublish-lock-');
});
afterAll(async () => {
  await dir.cleanup();
});

const sha = 'a'.repeat(40);
const lock = {
  packages: [
    {
      name: 'Acme/Hello',
      version: 'v1.2.0',
      source: { type: 'git', url: 'https://github.com/acme/hello.git', reference: sha },
      dist: { type: 'zip', url: `https://api.github.com/repos/acme/hello/zipball/${sha}`, reference: sha, shasum: '' },
    },
    {
      name: 'acme/dist-only',
      version: '2.0.0',
      dist: { type: 'zip', url: 'https://example.org/d.zip', reference: 'b'.repeat(40) },
    },
  ],
  'packages-dev': [
    {
      name: 'acme/tools',
      version: 'dev-main',
      source: { type: 'git', url: 'https://x/y.git', reference: 'c'.repeat(40) },
    },
  ],
};

describe('readComposerLock', () => {
  it('lists every package at its locked version, commit and URLs, packages-dev last', async () => {
    await writeFile(join(dir.path, 'composer.lock'), JSON.stringify(lock));
    const targets = await readComposerLock({ file: 'composer.lock', cwd: dir.path, dev: true });
    expect(targets.map((t) => [t.packageName, t.version, t.locked?.reference?.[0], t.locked?.dev])).toEqual([
      ['acme/hello', 'v1.2.0', 'a', false],
      ['acme/dist-only', '2.0.0', 'b', false],
      ['acme/tools', 'dev-main', 'c', true],
    ]);
    expect(targets[0]!.locked).toMatchObject({
      sourceUrl: 'https://github.com/acme/hello.git',
      sourceType: 'git',
      distType: 'zip',
      distUrl: `https://api.github.com/repos/acme/hello/zipball/${sha}`,
    });
    expect(targets[1]!.locked?.sourceUrl).toBeUndefined();
  });

  it('leaves out packages-dev when asked', async () => {
    await writeFile(join(dir.path, 'composer.lock'), JSON.stringify(lock));
    const targets = await readComposerLock({ file: join(dir.path, 'composer.lock'), cwd: '/', dev: false });
    expect(targets.map((t) => t.packageName)).toEqual(['acme/hello', 'acme/dist-only']);
  });

  it.each([
    ['not JSON', '{', 'it is not valid JSON'],
    ['without packages', '{}', 'it has no "packages" list'],
    ['with a nameless package', '{"packages":[{"version":"1.0.0"}]}', 'packages[0] has no name or version'],
  ])('refuses a lock file %s with VERIFY_LOCK_INVALID', async (_, content, problem) => {
    await writeFile(join(dir.path, 'bad.lock'), content);
    const error = await readComposerLock({ file: 'bad.lock', cwd: dir.path, dev: true }).catch((e: unknown) => e);
    expect(isPhpublishError(error, 'VERIFY_LOCK_INVALID')).toBe(true);
    expect((error as Error).message).toContain(problem);
  });

  it('refuses a missing file with VERIFY_LOCK_INVALID', async () => {
    const error = await readComposerLock({ file: 'nope.lock', cwd: dir.path, dev: true }).catch((e: unknown) => e);
    expect(isPhpublishError(error, 'VERIFY_LOCK_INVALID')).toBe(true);
    expect((error as Error).message).toContain('it cannot be read (ENOENT)');
  });
});
