// The packages changesets versions, found the way changesets itself finds them (@manypkg/get-packages),
// and which of them are PHP packages: those with a composer.json beside their package.json.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { getPackages } from '@manypkg/get-packages';
import { PhpublishError } from '@phpublish/core';

export interface WorkspacePackage {
  /** The package.json name, as changesets names the package. */
  name: string;
  version: string;
  /** Absolute directory. */
  dir: string;
  /** Relative to the repository root; `.` for a single-package repository's root package. */
  relativeDir: string;
  /** Whether a composer.json sits beside its package.json. */
  php: boolean;
  private: boolean;
}

export interface Workspace {
  rootDir: string;
  /** A single-package repository (changesets tags it `v<version>`), not a monorepo (`name@version`). */
  singlePackage: boolean;
  packages: WorkspacePackage[];
}

/** Reads the workspace at `cwd` (its root may be above it). Throws CHANGESETS_WORKSPACE_UNREADABLE. */
export async function readWorkspace(cwd: string): Promise<Workspace> {
  let found: Awaited<ReturnType<typeof getPackages>>;
  try {
    found = await getPackages(cwd);
  } catch (error) {
    throw new PhpublishError(
      'CHANGESETS_WORKSPACE_UNREADABLE',
      { cwd, problem: String((error as Error)?.message ?? error).split('\n')[0] ?? 'unknown' },
      { cause: error },
    );
  }
  const packages = await Promise.all(
    found.packages.map(
      async ({ packageJson, dir, relativeDir }): Promise<WorkspacePackage> => ({
        name: packageJson.name,
        version: String(packageJson.version ?? ''),
        dir,
        relativeDir,
        php: await exists(join(dir, 'composer.json')),
        private: packageJson.private === true,
      }),
    ),
  );
  return { rootDir: found.rootDir, singlePackage: found.tool.type === 'root', packages };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
