import { describe, expect, it } from 'vitest';
import { formatByteSize, parseByteSize } from './byte-size.js';

describe('parseByteSize', () => {
  it.each([
    ['1048576', 1048576],
    ['64MiB', 64 * 1024 * 1024],
    ['64 mib', 64 * 1024 * 1024],
    ['64M', 64 * 1024 * 1024],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['500MB', 500_000_000],
    ['2k', 2048],
    ['10b', 10],
  ])('reads %s', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['', '0', '0MiB', '-1', '1e3', 'MiB', '12 parsecs', '1..5M', '0.1b', '99999999999999999999GiB'])(
    'refuses %j',
    (text) => {
      expect(parseByteSize(text)).toBeUndefined();
    },
  );
});

describe('formatByteSize', () => {
  it('uses the largest binary unit, with at most one decimal', () => {
    expect(formatByteSize(32 * 1024 * 1024)).toBe('32 MiB');
    expect(formatByteSize(1536)).toBe('1.5 KiB');
    expect(formatByteSize(600_000_000)).toBe('572.2 MiB');
    expect(formatByteSize(1)).toBe('1 byte');
    expect(formatByteSize(1023)).toBe('1023 bytes');
  });
});
