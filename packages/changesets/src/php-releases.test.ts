import { describe, expect, it } from 'vitest';
import { currentPhpVersions, phpReleasesOf, type RepositoryMapping, thisRepository } from './php-releases.js';
import type { Workspace, WorkspacePackage } from './workspace.js';

const pkg = (name: string, relativeDir: string, php: boolean, version = '1.2.0'): WorkspacePackage => ({
  name,
  version,
  dir: `/repo/${relativeDir}`,
  relativeDir,
  php,
  private: true,
});

const single: Workspace = { rootDir: '/repo', singlePackage: true, packages: [pkg('hello', '.', true)] };
const monorepo: Workspace = {
  rootDir: '/repo',
  singlePackage: false,
  packages: [pkg('php-lib', 'packages/php-lib', true), pkg('@acme/js', 'packages/js', false)],
};

function codeOfCall(call: () => unknown): string | undefined {
  try {
    call();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('when a single-package repository released its root PHP package', () => {
  it('publishes it from this repository with changesets’ own v<version> tag, whether the output named the package or not', () => {
    const expected = [
      { name: 'hello', changesetsTag: 'v1.2.0', repository: { cwd: '/repo/.', remote: 'up', tag: 'v1.2.0' } },
    ];
    expect(phpReleasesOf(single, [{ tag: 'v1.2.0', packageName: 'hello' }], thisRepository('up'))).toEqual(expected);
    expect(phpReleasesOf(single, [{ tag: 'v1.2.0' }], thisRepository('up'))).toEqual(expected);
  });

  it('refuses a tag that is not the current version (a stale output) with CHANGESETS_RELEASE_NOT_CURRENT', () => {
    expect(
      codeOfCall(() => phpReleasesOf(single, [{ tag: 'v1.1.0', packageName: 'hello' }], thisRepository('origin'))),
    ).toBe('CHANGESETS_RELEASE_NOT_CURRENT');
  });

  it('offers the current version when changesets said nothing', () => {
    expect(currentPhpVersions(single)).toEqual([{ tag: 'v1.2.0', packageName: 'hello' }]);
  });
});

describe('when a monorepo released packages in subfolders', () => {
  it('ignores JavaScript packages and packages it does not know, without a word', () => {
    expect(
      phpReleasesOf(
        monorepo,
        [{ tag: '@acme/js@1.2.0', packageName: '@acme/js' }, { tag: 'gone@1.0.0' }],
        thisRepository('origin'),
      ),
    ).toEqual([]);
  });

  it('refuses the PHP packages with CHANGESETS_PHP_PACKAGES_IN_SUBFOLDERS, or leaves them out when asked', () => {
    const released = [{ tag: 'php-lib@1.2.0' }];
    expect(codeOfCall(() => phpReleasesOf(monorepo, released, thisRepository('origin')))).toBe(
      'CHANGESETS_PHP_PACKAGES_IN_SUBFOLDERS',
    );
    expect(phpReleasesOf(monorepo, released, thisRepository('origin'), { unserved: 'ignore' })).toEqual([]);
  });

  it('publishes them from the repositories a mapping names (the seam for split repositories)', () => {
    const splits: RepositoryMapping = (p) => ({ cwd: `/splits/${p.name}`, remote: 'split', tag: `v${p.version}` });
    expect(phpReleasesOf(monorepo, [{ tag: 'php-lib@1.2.0', packageName: 'php-lib' }], splits)).toEqual([
      {
        name: 'php-lib',
        changesetsTag: 'php-lib@1.2.0',
        repository: { cwd: '/splits/php-lib', remote: 'split', tag: 'v1.2.0' },
      },
    ]);
  });
});
