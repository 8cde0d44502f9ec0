/**
 * Composer's order of release tags (composer/semver: VersionParser::normalize, then Comparator, which is
 * PHP's version_compare() on the normalised versions). git's `--sort=-v:refname` is not that order: it
 * compares names as text around the numbers, so `v3.8.2` sorts above `7.8.1` when a repository changed
 * its tag prefix (guzzle/guzzle did).
 */

/** VersionParser's modifier: a stability (with an optional number list) and an optional `dev` suffix. */
const MODIFIER = '[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\\d+)*))?([.-]?dev)?';
/** `v1`, `1.2`, `1.2.3`, `1.2.3.4` (the major has at most five digits; longer ones are dates). */
const CLASSICAL = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, 'i');
/** `2024.01.31`, `20240131` and the like. */
const DATE_BASED = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3}){0,2})${MODIFIER}$`, 'i');
/** Build metadata (`+build.5`), which Composer drops. */
const BUILD_METADATA = /^([^,\s+]+)\+[^\s]+$/;

const STABILITY_NAMES: Record<string, string> = { a: 'alpha', b: 'beta', p: 'patch', pl: 'patch', rc: 'RC' };

/**
 * The version Composer reads in a tag name (`v1.2` → `1.2.0.0`, `2.0.0-beta.1` → `2.0.0.0-beta1`,
 * `1.0.0-dev` → `1.0.0.0-dev`), or undefined when Composer would skip the tag.
 */
export function normalizeTagVersion(tag: string): string | undefined {
  let version = tag;
  const build = BUILD_METADATA.exec(version);
  if (build) version = build[1] as string;
  let matches = CLASSICAL.exec(version);
  let modifierAt: number;
  if (matches) {
    const [, major, minor, patch, fourth] = matches;
    version = `${major}${minor ?? '.0'}${patch ?? '.0'}${fourth ?? '.0'}`;
    modifierAt = 5;
  } else {
    matches = DATE_BASED.exec(version);
    if (!matches) return undefined;
    version = (matches[1] as string).replace(/\D/g, '.');
    modifierAt = 2;
  }
  const stability = matches[modifierAt];
  const numbers = matches[modifierAt + 1];
  const dev = matches[modifierAt + 2];
  if (stability === 'stable') return version; // (exactly that spelling, as in Composer) says nothing more
  if (stability) {
    const name = STABILITY_NAMES[stability.toLowerCase()] ?? stability.toLowerCase();
    version += `-${name}${numbers ? numbers.replace(/^[.-]+/, '') : ''}`;
  }
  return dev ? `${version}-dev` : version;
}

/** version_compare()'s ranks of the special forms; a number ranks between RC and patch. */
const RANK: Record<string, number> = { dev: 0, alpha: 1, beta: 2, RC: 3, patch: 5 };
const NUMBER_RANK = 4;

const isNumber = (part: string) => /^\d/.test(part);
const rank = (part: string) => (isNumber(part) ? NUMBER_RANK : (RANK[part] ?? -6));

/**
 * PHP's version_compare() on two normalised versions: -1, 0 or 1. Normalised versions hold only digits,
 * dots, dashes and the stability names, so splitting on runs of digits and letters gives the parts PHP
 * compares.
 */
export function compareNormalizedVersions(a: string, b: string): number {
  const partsA = a.match(/\d+|[a-z]+/gi) ?? [];
  const partsB = b.match(/\d+|[a-z]+/gi) ?? [];
  for (let i = 0; i < Math.min(partsA.length, partsB.length); i++) {
    const partA = partsA[i] as string;
    const partB = partsB[i] as string;
    const result =
      isNumber(partA) && isNumber(partB)
        ? Math.sign(Number(partA) - Number(partB))
        : Math.sign(rank(partA) - rank(partB));
    if (result !== 0) return result;
  }
  // One is a prefix of the other: what follows decides (more numbers are newer, `-beta` is older).
  const rest = partsA[partsB.length] ?? partsB[partsA.length];
  if (rest === undefined) return 0;
  const longerIsNewer = isNumber(rest) || rank(rest) > NUMBER_RANK;
  return partsA.length > partsB.length === longerIsNewer ? 1 : -1;
}

export interface VersionTag {
  tag: string;
  /** The version Composer reads in it, e.g. `7.8.1.0`. */
  normalized: string;
}

/**
 * The release tags among `tags`, newest first by Composer's order; names Composer would skip and dev
 * versions (`1.0.0-dev`) are left out. Tags for the same version (`v1.0` and `1.0.0`) keep their order.
 */
export function releaseTagsNewestFirst(tags: readonly string[]): VersionTag[] {
  const versions: VersionTag[] = [];
  for (const tag of tags) {
    const normalized = normalizeTagVersion(tag);
    if (normalized !== undefined && !normalized.endsWith('-dev')) versions.push({ tag, normalized });
  }
  return versions.sort((a, b) => compareNormalizedVersions(b.normalized, a.normalized));
}

/** Whether a normalised version is stable: no alpha, beta, RC or dev suffix (patch releases are stable). */
export function isStableVersion(normalized: string): boolean {
  return !/-(?:alpha|beta|RC|dev)/.test(normalized);
}
