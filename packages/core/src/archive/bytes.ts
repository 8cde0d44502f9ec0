/**
 * Byte comparisons and copies between ranges of buffers, in plain loops. Buffer's own methods take
 * ranges only through views (`subarray`, and `copy` and `compare` make one inside) or through
 * argument checks that allocate, and these run once or more per entry of a tree on the thread that
 * writes the zip: what it allocates per entry decides how often V8 collects, and what survives
 * those collections makes V8 keep more memory as the tree grows. Ranges here are a path or a
 * short word, a few dozen bytes, where a loop is as fast as a call into C++.
 */

/** Byte order of `a[aStart, aEnd)` and `b[bStart, bEnd)`: negative, zero or positive (as Buffer.compare). */
export function compareBytes(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const length = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < length; i++) {
    const difference = a[aStart + i]! - b[bStart + i]!;
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  const lengths = aEnd - aStart - (bEnd - bStart);
  return lengths === 0 ? 0 : lengths < 0 ? -1 : 1;
}

/** Copies `source[start, end)` into `target` at `at`; returns where the copy ends in `target`. */
export function copyBytes(source: Uint8Array, start: number, end: number, target: Uint8Array, at: number): number {
  for (let i = start; i < end; i++) target[at++] = source[i]!;
  return at;
}
