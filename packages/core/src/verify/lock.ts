import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { PhpublishError } from '../errors/index.js';

/** What composer.lock says about one package: exactly what `composer install` would fetch. */
export interface LockedPackage {
  version: string;
  /** The commit (`source.reference`, else `dist.reference`). */
  reference?: string;
  sourceUrl?: string;
  sourceType?: string;
  distUrl?: string;
  distType?: string;
  /** From `packages-dev`. */
  dev: boolean;
}

/** One package to verify: from the command line (a name and maybe a version) or from composer.lock. */
export interface VerifyTarget {
  packageName: string;
  /** The version as written (`v1.2.0`); absent: the newest stable version Packagist lists. */
  version?: string;
  locked?: LockedPackage;
}

interface LockEntry {
  name?: unknown;
  version?: unknown;
  source?: { type?: unknown; url?: unknown; reference?: unknown };
  dist?: { type?: unknown; url?: unknown; reference?: unknown };
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** The packages of a composer.lock (and its `packages-dev` unless `dev: false`), in file order. */
export async function readComposerLock(input: { file: string; cwd: string; dev: boolean }): Promise<VerifyTarget[]> {
  const file = isAbsolute(input.file) ? input.file : resolve(input.cwd, input.file);
  const invalid = (problem: string, cause?: unknown) =>
    new PhpublishError('VERIFY_LOCK_INVALID', { file, problem }, cause === undefined ? undefined : { cause });
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw invalid(code ? `it cannot be read (${code})` : 'it is not valid JSON', error);
  }
  if (typeof data !== 'object' || data === null || !Array.isArray((data as { packages?: unknown }).packages)) {
    throw invalid('it has no "packages" list');
  }
  const lock = data as { packages: unknown[]; 'packages-dev'?: unknown };
  const dev = Array.isArray(lock['packages-dev']) ? lock['packages-dev'] : [];
  const lists: [unknown[], boolean][] = [[lock.packages, false]];
  if (input.dev) lists.push([dev, true]);

  const targets: VerifyTarget[] = [];
  for (const [list, isDev] of lists) {
    for (const [index, raw] of list.entries()) {
      const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as LockEntry;
      const name = text(entry.name);
      const version = text(entry.version);
      if (!name || !version) {
        throw invalid(`${isDev ? 'packages-dev' : 'packages'}[${index}] has no name or version`);
      }
      const reference = text(entry.source?.reference) ?? text(entry.dist?.reference);
      const sourceUrl = text(entry.source?.url);
      const sourceType = text(entry.source?.type);
      const distUrl = text(entry.dist?.url);
      const distType = text(entry.dist?.type);
      targets.push({
        packageName: name.toLowerCase(),
        version,
        locked: {
          version,
          dev: isDev,
          ...(reference ? { reference } : {}),
          ...(sourceUrl ? { sourceUrl } : {}),
          ...(sourceType ? { sourceType } : {}),
          ...(distUrl ? { distUrl } : {}),
          ...(distType ? { distType } : {}),
        },
      });
    }
  }
  return targets;
}
