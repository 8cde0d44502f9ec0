import { PACKAGIST_METADATA_DUMP, phpJsonEncode } from '../php-json.js';
import { minifyVersions } from './metadata-minifier.js';
import type { SandboxPackage, StoredVersion } from './packages.js';
import { phpVersionCompare } from './version-compare.js';
import { toV2Array } from './version-fields.js';

export interface MetadataFile {
  readonly json: string;
  /** Unix ms, whole seconds (an HTTP date has no finer resolution). */
  readonly lastModified: number;
}

/**
 * The p2 files as served: `acme/hello` (tags) and `acme/hello~dev` (branches). A file's Last-Modified only
 * moves when its content changes, and always by at least a second, so that `If-Modified-Since` can never
 * hide a change made within the same second.
 */
export class MetadataFiles {
  readonly #files = new Map<string, MetadataFile>();

  get(key: string): MetadataFile | undefined {
    return this.#files.get(key);
  }

  write(key: string, json: string, now: number): void {
    const previous = this.#files.get(key);
    if (previous?.json === json) return;
    const second = Math.floor(now / 1000) * 1000;
    const lastModified = previous ? Math.max(second, previous.lastModified + 1000) : second;
    this.#files.set(key, { json, lastModified });
  }
}

function branchAliasSortKey(version: StoredVersion): string {
  const extra = version.fields.extra as Record<string, unknown> | undefined;
  const aliases = extra && typeof extra === 'object' ? (extra['branch-alias'] as Record<string, unknown>) : undefined;
  const alias = aliases && typeof aliases === 'object' ? aliases[version.normalizedVersion] : undefined;
  return typeof alias === 'string' ? alias.replace(/(.x)?-dev$/, '.9999999-dev') : version.normalizedVersion;
}

/** Package::sortVersions: newest first, a non-numeric default branch before all other branches. */
function compareVersions(a: StoredVersion, b: StoredVersion): number {
  const versionA = branchAliasSortKey(a).replace(/^dev-.*/, '0.0.0-alpha');
  const versionB = branchAliasSortKey(b).replace(/^dev-.*/, '0.0.0-alpha');
  if (versionA === '0.0.0-alpha' && a.defaultBranch) return -1;
  if (versionB === '0.0.0-alpha' && b.defaultBranch) return 1;
  if (versionA === versionB) {
    if (a.releasedAt === b.releasedAt) {
      return a.normalizedVersion < b.normalizedVersion ? -1 : a.normalizedVersion > b.normalizedVersion ? 1 : 0;
    }
    return (b.releasedAt ?? 0) > (a.releasedAt ?? 0) ? 1 : -1;
  }
  return phpVersionCompare(versionB, versionA);
}

/** V2Dumper::dumpPackageToV2File: the two minified files of one package, soft-deleted versions left out. */
export function dumpPackage(pkg: SandboxPackage): { tags: string; dev: string } {
  const visible = [...pkg.versions.values()].filter((version) => version.softDeletedAt === undefined);
  visible.sort(compareVersions);
  const name = pkg.name.toLowerCase();
  const minified = (versions: StoredVersion[]) => minifyVersions(versions.map((version) => toV2Array(pkg, version)));
  const tags = {
    minified: 'composer/2.0',
    packages: { [name]: minified(visible.filter((version) => !version.development)) },
    'security-advisories': [],
  };
  const dev = {
    minified: 'composer/2.0',
    packages: { [name]: minified(visible.filter((version) => version.development)) },
  };
  return { tags: phpJsonEncode(tags, PACKAGIST_METADATA_DUMP), dev: phpJsonEncode(dev, PACKAGIST_METADATA_DUMP) };
}
