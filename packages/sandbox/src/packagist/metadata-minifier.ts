/**
 * composer/metadata-minifier's MetadataMinifier::minify: the first version is written whole, each later one
 * only with the keys whose value differs from the previous version (PHP `!==`: a changed object is written
 * whole) and `"__unset"` for keys it no longer has. Composer's `expand` reverses it.
 */

export type VersionArray = Record<string, unknown>;

export const UNSET_MARKER = '__unset';

/** PHP's `===` on decoded JSON: same types, same values, and for arrays and objects the same key order. */
export function phpIdentical(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function minifyVersions(versions: readonly VersionArray[]): VersionArray[] {
  const minified: VersionArray[] = [];
  let lastKnown: VersionArray | undefined;
  for (const version of versions) {
    if (lastKnown === undefined) {
      lastKnown = { ...version };
      minified.push(version);
      continue;
    }
    const diff: VersionArray = {};
    for (const [key, value] of Object.entries(version)) {
      if (!Object.hasOwn(lastKnown, key) || !phpIdentical(lastKnown[key], value)) {
        diff[key] = value;
        lastKnown[key] = value;
      }
    }
    for (const key of Object.keys(lastKnown)) {
      if (!Object.hasOwn(version, key)) {
        diff[key] = UNSET_MARKER;
        delete lastKnown[key];
      }
    }
    minified.push(diff);
  }
  return minified;
}
