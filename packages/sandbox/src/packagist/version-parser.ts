/**
 * Composer's version normalisation (composer/semver VersionParser::normalize, normalizeBranch and
 * parseStability), which decides which tags Packagist publishes and under which `version_normalized`.
 * PCRE's possessive quantifiers are written as plain ones: in these patterns nothing that could be given
 * back would let a different match succeed.
 */

const MODIFIER = '[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\\d+)*)?)?([.-]?dev)?';
const STABILITIES = 'stable|RC|beta|alpha|dev';

const ALIAS = /^([^,\s]+) +as +([^,\s]+)$/;
const STABILITY_FLAG = new RegExp(`@(?:${STABILITIES})$`, 'i');
const BUILD_METADATA = /^([^,\s+]+)\+[^\s]+$/;
const CLASSICAL = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, 'i');
const DATE_BASED = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3}){0,2})${MODIFIER}$`, 'i');
const DEV_SUFFIX = /^(.*?)[.-]?dev$/i;
const NUMERIC_BRANCH = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$/i;

export class InvalidVersionError extends Error {
  constructor(version: string) {
    super(`Invalid version string "${version}"`);
    this.name = 'InvalidVersionError';
  }
}

/** PHP's trim(): only these characters, not every Unicode space. */
const PHP_TRIMMED = new Set([' ', '\t', '\n', '\r', '\0', '\x0B']);
const phpTrim = (value: string) => {
  let start = 0;
  let end = value.length;
  while (start < end && PHP_TRIMMED.has(value[start]!)) start++;
  while (end > start && PHP_TRIMMED.has(value[end - 1]!)) end--;
  return value.slice(start, end);
};

function expandStability(stability: string): string {
  const lower = stability.toLowerCase();
  if (lower === 'a') return 'alpha';
  if (lower === 'b') return 'beta';
  if (lower === 'p' || lower === 'pl') return 'patch';
  if (lower === 'rc') return 'RC';
  return lower;
}

/** `v1.2` → `1.2.0.0`, `1.0.0-beta.1` → `1.0.0.0-beta1`, `dev-main` → `dev-main`; throws for anything else. */
export function normalizeVersion(input: string): string {
  let version = phpTrim(input);
  const original = version;

  const alias = ALIAS.exec(version);
  if (alias) version = alias[1]!;

  const flag = STABILITY_FLAG.exec(version);
  if (flag) version = version.slice(0, version.length - flag[0].length);

  if (version === 'master' || version === 'trunk' || version === 'default') version = `dev-${version}`;

  if (version.toLowerCase().startsWith('dev-')) return `dev-${version.slice(4)}`;

  const build = BUILD_METADATA.exec(version);
  if (build) version = build[1]!;

  let matches: RegExpExecArray | null = CLASSICAL.exec(version);
  let index: number | undefined;
  if (matches) {
    version = matches[1]! + (matches[2] || '.0') + (matches[3] || '.0') + (matches[4] || '.0');
    index = 5;
  } else {
    matches = DATE_BASED.exec(version);
    if (matches) {
      version = matches[1]!.replace(/\D/g, '.');
      index = 2;
    }
  }

  if (matches && index !== undefined) {
    const stability = matches[index];
    if (stability) {
      if (stability === 'stable') return version;
      const number = matches[index + 1];
      version += `-${expandStability(stability)}${number ? number.replace(/^[.-]+/, '') : ''}`;
    }
    if (matches[index + 2]) version += '-dev';
    return version;
  }

  const dev = DEV_SUFFIX.exec(version);
  if (dev) {
    const normalized = normalizeBranch(dev[1]!);
    // A branch-like name ending in -dev is only a version when it is numeric (`1.x-dev`).
    if (!normalized.includes('dev-')) return normalized;
  }

  throw new InvalidVersionError(original);
}

/** `1.x` → `1.9999999.9999999.9999999-dev`, `main` → `dev-main`. */
export function normalizeBranch(input: string): string {
  const name = phpTrim(input);
  const numeric = NUMERIC_BRANCH.exec(name);
  if (numeric) {
    let version = '';
    for (let i = 1; i < 5; i++) version += numeric[i] !== undefined ? numeric[i]!.replace(/[*X]/g, 'x') : '.x';
    return `${version.replace(/x/g, '9999999')}-dev`;
  }
  return `dev-${name}`;
}

/** Composer's own check for tags and branches: a normalised version or `false`. */
export function tryNormalizeVersion(version: string): string | undefined {
  try {
    return normalizeVersion(version);
  } catch {
    return undefined;
  }
}
