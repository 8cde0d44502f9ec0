/**
 * Whether Composer (and so Packagist) reads a tag name as a version. Follows VersionParser's
 * rules for tags: optional `v`, up to four numeric parts, an optional stability suffix
 * (stable, beta/b, RC, alpha/a, patch/pl/p) with an optional number, optional `-dev`, and
 * build metadata after `+`, which Composer drops. Packagist skips tags that fail this.
 */
const COMPOSER_TAG_VERSION =
  /^v?\d+(?:\.\d+){0,3}(?:[._-]?(?:stable|beta|b|rc|alpha|a|patch|pl|p)(?:[.-]?\d+)*)?(?:[.-]?dev)?(?:\+[0-9a-z.-]+)?$/i;

export function isComposerVersion(tag: string): boolean {
  return COMPOSER_TAG_VERSION.test(tag);
}
