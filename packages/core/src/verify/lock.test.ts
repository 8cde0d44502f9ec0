import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { lockProblemRows, readComposerLock, type VerifyTarget } from './lock.js';

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
    ['with a nameless package', '{"packages":[{"version":"1.0.0"}]}', 'packages[0] has no name'],
    ['with a package that is no object', '{"packages":["acme/hello"]}', 'packages[0] is not an object'],
    [
      'with a name that is no string',
      '{"packages":[{"name":["acme/a"],"version":"1.0.0"}]}',
      'packages[0] has no name',
    ],
    ['whose packages-dev is no list', '{"packages":[],"packages-dev":{}}', 'its "packages-dev" is not a list'],
    [
      'with a key given twice',
      `{"packages":[{"name":"acme/a","version":"1.0.0","source":{"reference":"${sha}","reference":"${'d'.repeat(40)}"}}]}`,
      'it is not valid JSON: packages[0].source.reference is given twice in the same object',
    ],
    ['with a __proto__ key', '{"packages":[],"__proto__":{}}', 'it is not valid JSON: __proto__: a "__proto__" key'],
  ])('refuses a lock file %s with VERIFY_LOCK_INVALID', async (_, content, problem) => {
    await writeFile(join(dir.path, 'bad.lock'), content);
    const error = await readComposerLock({ file: 'bad.lock', cwd: dir.path, dev: true }).catch((e: unknown) => e);
    expect(isPhpublishError(error, 'VERIFY_LOCK_INVALID')).toBe(true);
    expect((error as Error).message).toContain(problem);
  });

  it('refuses a missing file, a device or a directory with VERIFY_LOCK_INVALID', async () => {
    for (const [file, problem] of [
      ['nope.lock', 'it does not exist (ENOENT)'],
      ['/dev/zero', 'it is a character device'],
      ['.', 'it is a directory, not a regular file'],
    ]) {
      const error = await readComposerLock({ file: file!, cwd: dir.path, dev: true }).catch((e: unknown) => e);
      expect(isPhpublishError(error, 'VERIFY_LOCK_INVALID')).toBe(true);
      expect((error as Error).message).toContain(problem);
    }
  });

  it('reads a lock file that starts with a UTF-8 byte order mark', async () => {
    await writeFile(join(dir.path, 'bom.lock'), `\ufeff${JSON.stringify(lock)}`);
    const targets = await readComposerLock({ file: 'bom.lock', cwd: dir.path, dev: true });
    expect(targets.map((t) => t.packageName)).toEqual(['acme/hello', 'acme/dist-only', 'acme/tools']);
  });

  describe('when one entry cannot be verified as written', () => {
    const good = lock.packages[0]!;
    const entries: [string, Record<string, unknown>, string][] = [
      [
        'a reference that is HEAD',
        { source: { ...good.source, reference: 'HEAD' } },
        'its source.reference "HEAD" is not a full commit id',
      ],
      [
        'a branch as reference',
        { source: { ...good.source, reference: 'main' } },
        'its source.reference "main" is not a full commit id',
      ],
      ['a short commit id', { source: { ...good.source, reference: sha.slice(0, 7) } }, 'is not a full commit id'],
      [
        'an uppercase commit id',
        { source: { ...good.source, reference: sha.toUpperCase() } },
        'is not a full commit id',
      ],
      [
        'a dist-only reference that is no commit',
        { source: undefined, dist: { ...good.dist, reference: '1.2.0' } },
        'its dist.reference "1.2.0" is not a full commit id',
      ],
      [
        'a reference that is a number',
        { source: { ...good.source, reference: 42 } },
        'its source.reference is 42, not a string',
      ],
      [
        'a reference that is an object',
        { source: { ...good.source, reference: { sha } } },
        `its source.reference is {"sha":"${sha}"}, not a string`,
      ],
      [
        'a source that is a string',
        { source: 'https://github.com/acme/hello.git' },
        'its source is "https://github.com/acme/hello.git", not an object',
      ],
      [
        'a URL that is a list',
        { dist: { ...good.dist, url: ['https://x'] } },
        'its dist.url is ["https://x"], not a string',
      ],
      ['a version that is a number', { version: 1.2 }, 'its version is 1.2, not a string'],
      ['no version', { version: undefined }, 'it has no version'],
      [
        'control characters in the reference',
        { source: { ...good.source, reference: '\u001b[31mHEAD' } },
        'its source.reference "\\u001b[31mHEAD" is not',
      ],
    ];

    it.each(entries)('reports %s on that package only, in its own row', async (_, change, problem) => {
      const bad = { ...good, name: 'acme/bad', ...change };
      await writeFile(join(dir.path, 'one-bad.lock'), JSON.stringify({ packages: [good, bad, lock.packages[1]] }));
      const targets = await readComposerLock({ file: 'one-bad.lock', cwd: dir.path, dev: true });
      expect(targets.map((t) => [t.packageName, Boolean(t.locked?.problem)])).toEqual([
        ['acme/hello', false],
        ['acme/bad', true],
        ['acme/dist-only', false],
      ]);
      const rows = lockProblemRows(targets[1]!)!;
      expect(rows.map((r) => [r.check, r.status, r.code])).toEqual([
        ['packagist', 'failed', 'VERIFY_LOCK_ENTRY_INVALID'],
        ['tag', 'skipped', undefined],
        ['signature', 'skipped', undefined],
        ['attestation', 'skipped', undefined],
        ['content', 'skipped', undefined],
      ]);
      expect(rows[0]!.detail).toContain('The composer.lock entry of acme/bad (packages[1]) cannot be verified: ');
      expect(rows[0]!.detail).toContain(problem);
      expect(lockProblemRows(targets[0]!)).toBeUndefined();
    });

    it('keeps a bad reference as written, so that it can never verify as another commit', async () => {
      const bad = { ...good, source: { ...good.source, reference: 'HEAD' }, dist: { ...good.dist, reference: sha } };
      await writeFile(join(dir.path, 'head.lock'), JSON.stringify({ packages: [bad] }));
      const [target] = await readComposerLock({ file: 'head.lock', cwd: dir.path, dev: true });
      expect(target!.locked?.reference).toBe('HEAD');
      expect(target!.version).toBe('v1.2.0');
      const typed = { ...good, source: { ...good.source, reference: { sha } }, dist: { ...good.dist, reference: sha } };
      await writeFile(join(dir.path, 'typed.lock'), JSON.stringify({ packages: [typed] }));
      const [wrong] = await readComposerLock({ file: 'typed.lock', cwd: dir.path, dev: true });
      expect(wrong!.locked?.reference).toBe(`{"sha":"${sha}"}`);
    });

    it('never leaves the version out (that would mean the newest one)', async () => {
      await writeFile(join(dir.path, 'no-version.lock'), JSON.stringify({ packages: [{ ...good, version: 7 }] }));
      const [target] = await readComposerLock({ file: 'no-version.lock', cwd: dir.path, dev: true });
      expect((target as VerifyTarget).version).toBe('');
    });

    it('reports a bad entry of packages-dev with its place in that list', async () => {
      const dev = { ...lock['packages-dev'][0]!, source: { type: 'git', url: 'https://x/y.git', reference: 'main' } };
      await writeFile(join(dir.path, 'dev.lock'), JSON.stringify({ packages: [], 'packages-dev': [dev] }));
      const [target] = await readComposerLock({ file: 'dev.lock', cwd: dir.path, dev: true });
      expect(target!.locked?.problem?.where).toBe('packages-dev[0]');
    });
  });
});
