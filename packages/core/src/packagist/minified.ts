/** One version of a package as p2 metadata describes it (only the keys phpublish reads are typed). */
export interface PackageVersion {
  name?: string;
  version: string;
  version_normalized?: string;
  source?: { type?: string; url?: string; reference?: string };
  dist?: { type?: string; url?: string; reference?: string; shasum?: string };
  [key: string]: unknown;
}

const UNSET = '__unset';

/**
 * Expands Composer's minified p2 format ("composer/2.0"): the first entry is complete, each later
 * entry holds only the keys that differ from the previous *expanded* entry, and "__unset" removes a
 * key. Same algorithm as composer/metadata-minifier's `expand`.
 */
export function expandMinifiedVersions(entries: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const expanded: Record<string, unknown>[] = [];
  let previous: Record<string, unknown> | undefined;
  for (const entry of entries) {
    const current: Record<string, unknown> = previous ? { ...previous } : {};
    for (const [key, value] of Object.entries(entry)) {
      if (value === UNSET) delete current[key];
      else current[key] = value;
    }
    expanded.push(current);
    previous = current;
  }
  return expanded;
}

/**
 * The versions of `packageName` in a p2 document, expanded when the document says it is minified.
 * Throws a plain Error with a reason when the document is not p2 metadata.
 */
export function versionsFromP2(document: unknown, packageName: string): PackageVersion[] {
  if (typeof document !== 'object' || document === null) throw new Error('the document is not a JSON object');
  const doc = document as { minified?: unknown; packages?: unknown };
  if (typeof doc.packages !== 'object' || doc.packages === null) throw new Error('it has no "packages" object');
  const list = (doc.packages as Record<string, unknown>)[packageName.toLowerCase()];
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    throw new Error(`"packages.${packageName}" is not a list of versions`);
  }
  const versions =
    doc.minified === 'composer/2.0'
      ? expandMinifiedVersions(list as Record<string, unknown>[])
      : (list as Record<string, unknown>[]);
  return versions.filter((v): v is PackageVersion => typeof v['version'] === 'string');
}
