/**
 * `--since` of `phpublish verify --all-versions`: a date (compared with the version's `time` in the
 * metadata) or a version (compared in Composer's order). Versions are kept when in doubt: a version
 * without a readable time, or whose name cannot be ordered, is checked rather than silently left out.
 */

import { compareNormalizedVersions, normalizeTagVersion } from '../composer/version-order.js';

/** Where checking starts, inclusive; a version as Composer normalises it (`v2.1` → `2.1.0.0`). */
export type Since = { kind: 'date'; text: string; at: number } | { kind: 'version'; text: string; normalized: string };

const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A date without a zone is UTC, as Packagist writes `time`; a day alone is its first second. */
function parseDate(text: string): number {
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) && text.length > 10;
  const iso = text.replace(' ', 'T');
  return Date.parse(zoned ? iso : `${iso}${text.length === 10 ? 'T00:00:00' : ''}Z`);
}

/** The `--since` argument read, or why it cannot be. */
export function parseSince(text: string): Since | { problem: string } {
  const value = text.trim();
  if (DATE.test(value)) {
    const at = parseDate(value);
    if (Number.isNaN(at)) return { problem: `"${text}" is not a date` };
    return { kind: 'date', text: value, at };
  }
  const normalized = normalizeTagVersion(value);
  if (normalized && !normalized.endsWith('-dev')) return { kind: 'version', text: value, normalized };
  return { problem: `"${text}" is neither a date (2026-01-31) nor a version (1.4.0, v2.0.0-RC1)` };
}

/**
 * Whether a version is on or after `since`. Unknown times and versions that cannot be ordered
 * count as after: the monitor checks them instead of hiding them.
 */
export function isOnOrAfter(since: Since, version: { version: string; time?: string }): boolean {
  if (since.kind === 'date') {
    const at = version.time ? parseDate(version.time) : Number.NaN;
    return Number.isNaN(at) || at >= since.at;
  }
  const normalized = normalizeTagVersion(version.version);
  return normalized === undefined || compareNormalizedVersions(normalized, since.normalized) >= 0;
}
