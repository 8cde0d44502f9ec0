/**
 * Sizes as people write them on a command line (`64MiB`, `1.5 GB`, `1048576`) and as messages show
 * them. Imports nothing, so that the error catalogue can use it too.
 */

const KiB = 1024;

/** Units are case-insensitive; `k`, `m`, `g` are binary, as in git's configuration. */
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: KiB,
  kb: 1000,
  kib: KiB,
  m: KiB ** 2,
  mb: 1000 ** 2,
  mib: KiB ** 2,
  g: KiB ** 3,
  gb: 1000 ** 3,
  gib: KiB ** 3,
};

/** Bytes in `text`, or undefined when it is not a positive size (`0`, `-1`, `12 parsecs`, `1e3`). */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?) ?([a-z]*)$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = UNITS[match[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return bytes >= 1 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `33554432` → `32 MiB`; `1536` → `1.5 KiB`; small sizes in bytes. */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', KiB ** 3],
    ['MiB', KiB ** 2],
    ['KiB', KiB],
  ] as const) {
    if (bytes >= size) return `${Math.round((bytes / size) * 10) / 10} ${unit}`;
  }
  return `${bytes} byte${bytes === 1 ? '' : 's'}`;
}
