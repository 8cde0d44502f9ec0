import { normalizeTagVersion } from './version-order.js';

/**
 * Whether Composer (and so Packagist) reads a tag name as a version: VersionParser's rules for tags
 * (see normalizeTagVersion). Packagist skips tags that fail this.
 */
export function isComposerVersion(tag: string): boolean {
  return normalizeTagVersion(tag) !== undefined;
}
