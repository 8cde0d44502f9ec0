import type { PackageVersion } from './minified.js';

/** `v1.2.3` and `1.2.3` name the same release; Packagist keeps the tag as written in `version`. */
function bare(version: string): string {
  return version.trim().replace(/^v(?=\d)/i, '');
}

/** The entry for a tag in a package's versions: the exact tag name first, then the same version without/with `v`. */
export function findVersion(versions: readonly PackageVersion[], tag: string): PackageVersion | undefined {
  return versions.find((v) => v.version === tag) ?? versions.find((v) => bare(v.version) === bare(tag));
}

/**
 * A full commit id as git writes it: 40 (SHA-1) or 64 (SHA-256) lowercase hexadecimal digits.
 * Not `HEAD`, a branch, a tag name, a short id, or a full id in capitals or with spaces around it.
 */
export function isCommitId(reference: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(reference);
}
