import { describe, expect, it } from 'vitest';
import { compareBytes, copyBytes } from './bytes.js';

const samples = [
  '',
  'a',
  'ab',
  'abc',
  'abd',
  'b',
  'a\u0000',
  'é',
  'e\u0301',
  'src/A.php',
  'src/A.php/x',
  'src/A-b.php',
];

describe('when comparing and copying ranges of bytes in place', () => {
  it('orders every pair of ranges as Buffer.compare orders their copies', () => {
    // Each sample placed at a different offset of a larger buffer, so that the ranges do not start at 0.
    const padded = samples.map((text, i) => {
      const bytes = Buffer.from(text, 'utf8');
      const buffer = Buffer.concat([Buffer.alloc(i + 1, 0x7a), bytes, Buffer.alloc(3, 0x00)]);
      return { buffer, start: i + 1, end: i + 1 + bytes.length, bytes };
    });
    for (const a of padded) {
      for (const b of padded) {
        expect(compareBytes(a.buffer, a.start, a.end, b.buffer, b.start, b.end)).toBe(Buffer.compare(a.bytes, b.bytes));
      }
    }
  });

  it('copies a range to an offset and says where the copy ends', () => {
    const target = Buffer.alloc(8, 0x2e);
    expect(copyBytes(Buffer.from('xxabcxx'), 2, 5, target, 3)).toBe(6);
    expect(target.toString('latin1')).toBe('...abc..');
  });
});
