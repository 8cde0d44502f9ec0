/**
 * `--since` of `phpublish verify --all-versions`: a date (compared with the version's `time` in the
 * metadata) or a version (compared in Composer's order). Versions are kept when in doubt: a version
 * without a readable time, or whose name cannot be ordered, is checked rather than silently left out.
 */

/** Where checking starts, inclusive. */
export type Since = { kind: 'date'; text: string; at: number } | { kind: 'version'; text: string; order: VersionKey };

/** A version reduced to what Composer orders by: four numbers, then the stability and its number. */
export type VersionKey = readonly number[];

const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const VERSION =
  /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:[._-]?(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?\d+)*))?$/i;

// Composer's stability order: alpha < beta < RC < stable < patch (a version without suffix is stable).
const STABILITY: Record<string, number> = { alpha: 1, a: 1, beta: 2, b: 2, rc: 3, stable: 4, patch: 5, pl: 5, p: 5 };

/** `2.3`, `v2.3.0-RC1`: the key Composer would order it by, or undefined when it is not a version. */
export function versionKey(version: string): VersionKey | undefined {
  const match = VERSION.exec(version.trim());
  if (!match) return undefined;
  const numbers = match.slice(1, 5).map((part) => Number.parseInt(part ?? '0', 10));
  const stability = STABILITY[(match[5] ?? 'stable').toLowerCase()]!;
  const suffix = (match[6] ?? '').split(/[.-]/).filter(Boolean).map(Number);
  return [...numbers, stability, ...suffix];
}

export function compareVersionKeys(a: VersionKey, b: VersionKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

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
  const order = versionKey(value);
  if (order) return { kind: 'version', text: value, order };
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
  const key = versionKey(version.version);
  return key === undefined || compareVersionKeys(key, since.order) >= 0;
}
