// Which PHP packages a changesets run released, and from which repository each is published.
import { PhpublishError } from '@phpublish/core';
import { packageNameOfTag, type ReleasedTag } from './released-tags.js';
import type { Workspace, WorkspacePackage } from './workspace.js';

/** Where a PHP package is published from: the checkout whose root holds its composer.json, and its tag there. */
export interface ReleaseRepository {
  /** The git checkout Packagist reads the package from (composer.json at its root). */
  cwd: string;
  /** The remote the signed tag is pushed to. */
  remote: string;
  /** The release tag there: a version Composer reads (`v1.2.3`). */
  tag: string;
}

/**
 * Maps a released PHP package to the repository it is published from, or undefined when no
 * repository can serve it. The seam for split repositories: a mapping that returns a split's
 * checkout (`cwd`, `remote`, `v<version>`) for a package in a subfolder publishes it from there.
 */
export type RepositoryMapping = (
  pkg: WorkspacePackage,
  release: { tag: string; workspace: Workspace },
) => ReleaseRepository | undefined;

/**
 * The mapping this host ships: the package at the root of a single-package repository is published
 * from this repository with changesets' own `v<version>` tag. Packages in subfolders have no
 * repository of their own (Packagist reads composer.json at a repository's root only).
 */
export function thisRepository(remote: string): RepositoryMapping {
  return (pkg, { tag, workspace }) =>
    workspace.singlePackage && pkg.relativeDir === '.' ? { cwd: pkg.dir, remote, tag } : undefined;
}

export interface PhpRelease {
  /** The package.json name changesets knows the package by. */
  name: string;
  /** The tag changesets made. */
  changesetsTag: string;
  repository: ReleaseRepository;
}

/**
 * The PHP packages among `released` (packages with a composer.json beside their package.json),
 * each with its repository. Other packages are ignored without a word: JavaScript packages in the
 * same workspace are none of phpublish's business. A PHP package no repository can serve is a
 * CHANGESETS_PHP_PACKAGES_IN_SUBFOLDERS error naming all of them (with `unserved: 'ignore'`, left out).
 */
export function phpReleasesOf(
  workspace: Workspace,
  released: readonly ReleasedTag[],
  mapping: RepositoryMapping,
  { unserved: whenUnserved = 'refuse' }: { unserved?: 'refuse' | 'ignore' } = {},
): PhpRelease[] {
  const releases: PhpRelease[] = [];
  const unserved: string[] = [];
  for (const { tag, packageName } of released) {
    const pkg = packageOf(workspace, packageName ?? packageNameOfTag(tag));
    if (!pkg?.php) continue;
    const repository = mapping(pkg, { tag, workspace });
    if (!repository) {
      unserved.push(`${pkg.name} in ${pkg.relativeDir === '.' ? 'the root folder' : pkg.relativeDir}/ (tag ${tag})`);
      continue;
    }
    // A stale output (an earlier run's file) would otherwise tag this commit with an old version.
    if (tag !== currentTagOf(workspace, pkg)) {
      throw new PhpublishError('CHANGESETS_RELEASE_NOT_CURRENT', { tag, packageName: pkg.name, version: pkg.version });
    }
    releases.push({ name: pkg.name, changesetsTag: tag, repository });
  }
  if (unserved.length > 0 && whenUnserved === 'refuse')
    throw new PhpublishError('CHANGESETS_PHP_PACKAGES_IN_SUBFOLDERS', { packages: unserved });
  return releases;
}

/** The tag changesets gives each PHP package's current version: what it would release now. */
export function currentPhpVersions(workspace: Workspace): ReleasedTag[] {
  return workspace.packages
    .filter((pkg) => pkg.php && pkg.version !== '')
    .map((pkg) => ({ tag: currentTagOf(workspace, pkg), packageName: pkg.name }));
}

/** The tag changesets gives a package's version: `v<version>` in a single-package repository, else `name@version`. */
function currentTagOf(workspace: Workspace, pkg: WorkspacePackage): string {
  return workspace.singlePackage ? `v${pkg.version}` : `${pkg.name}@${pkg.version}`;
}

/** A package by name; without a name (a `v1.2.3` tag), the one package of a single-package repository. */
function packageOf(workspace: Workspace, name: string | undefined): WorkspacePackage | undefined {
  if (name === undefined) return workspace.singlePackage ? workspace.packages[0] : undefined;
  return workspace.packages.find((pkg) => pkg.name === name);
}
