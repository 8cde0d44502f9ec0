import { describe, expect, it } from 'vitest';
import {
  crc32c,
  decodeSnappyBlock,
  decodeSnappyFramed,
  decodeStoredBundle,
  maskedCrc32c,
  SnappyFormatError,
  SnappyTooLargeError,
  snappyBlockLength,
} from './snappy.js';

const MiB = 1024 * 1024;
const WIKIPEDIA = 'Wikipedia is a free, web-based, collaborative, multilingual encyclopedia project.';
/**
 * The example of snappy's Wikipedia article, as the reference compressor writes it: a 67-byte
 * literal, a copy of 6 bytes from 63 back ("pedia "), and an 8-byte literal.
 */
const WIKIPEDIA_BLOCK = Buffer.concat([
  Buffer.from([0x51, 0xf0, 0x42]),
  Buffer.from(WIKIPEDIA.slice(0, 67)),
  Buffer.from([0x09, 0x3f, 0x1c]),
  Buffer.from('project.'),
]);

/** A framed stream holding `data` in one uncompressed chunk. */
function framedUncompressed(data: Buffer, crc = maskedCrc32c(data)): Buffer {
  const header = Buffer.alloc(8);
  header.writeUIntLE(data.length + 4, 1, 3);
  header[0] = 0x01;
  header.writeUInt32LE(crc, 4);
  return Buffer.concat([Buffer.from('ff060000734e61507059', 'hex'), header, data]);
}

/** A framed stream holding `block` in one compressed chunk of `data`. */
function framedCompressed(block: Buffer, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUIntLE(block.length + 4, 1, 3);
  header.writeUInt32LE(maskedCrc32c(data), 4);
  return Buffer.concat([Buffer.from('ff060000734e61507059', 'hex'), header, block]);
}

describe('decodeSnappyBlock', () => {
  it('decodes the reference compressor’s output (literals and a copy)', () => {
    expect(decodeSnappyBlock(WIKIPEDIA_BLOCK, MiB).toString()).toBe(WIKIPEDIA);
  });

  it('decodes overlapping copies (a run repeated from one byte back) and every copy kind', () => {
    // "a" then a 1-byte-offset copy of 10 (offset 1), a 2-byte-offset copy of 3 (offset 11), a 4-byte-offset copy of 2.
    const block = Buffer.from([16, 0x00, 0x61, (6 << 2) | 1, 0x01, (2 << 2) | 2, 11, 0, (1 << 2) | 3, 2, 0, 0, 0]);
    expect(decodeSnappyBlock(block, 100).toString()).toBe('a'.repeat(16));
  });

  it('decodes literals whose length takes one to four extra bytes', () => {
    for (const [tag, bytes] of [
      [60, 1],
      [61, 2],
      [62, 3],
      [63, 4],
    ] as const) {
      const length = Buffer.alloc(bytes);
      length.writeUIntLE(99, 0, bytes);
      const block = Buffer.concat([Buffer.from([100, tag << 2]), length, Buffer.alloc(100, 0x78)]);
      expect(decodeSnappyBlock(block, 1000).toString()).toBe('x'.repeat(100));
    }
  });

  describe('when the announced length is over the cap (a length bomb)', () => {
    it('refuses it from the preamble alone, before allocating anything', () => {
      // Five bytes announcing 4 GiB - 1.
      const bomb = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]);
      expect(snappyBlockLength(bomb)).toBe(0xffffffff);
      const error = (() => {
        try {
          decodeSnappyBlock(bomb, 16 * MiB);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(SnappyTooLargeError);
      expect((error as SnappyTooLargeError).length).toBe(0xffffffff);
    });

    it('accepts exactly the cap', () => {
      expect(decodeSnappyBlock(WIKIPEDIA_BLOCK, WIKIPEDIA.length).toString()).toBe(WIKIPEDIA);
      expect(() => decodeSnappyBlock(WIKIPEDIA_BLOCK, WIKIPEDIA.length - 1)).toThrow(SnappyTooLargeError);
    });
  });

  describe('when the input is malformed', () => {
    it.each([
      ['an empty input', Buffer.alloc(0)],
      ['a preamble over 32 bits', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])],
      ['a preamble cut short', Buffer.from([0x80])],
      ['a literal past the end', Buffer.from([10, 9 << 2, 0x61])],
      ['a literal longer than announced', Buffer.from([1, 1 << 2, 0x61, 0x62])],
      ['a copy before the start', Buffer.from([5, 0x00, 0x61, 0x01, 0x05])],
      ['a copy with offset 0', Buffer.from([5, 0x00, 0x61, 0x01, 0x00])],
      ['a copy longer than announced', Buffer.from([3, 0x00, 0x61, 0x01, 0x01])],
      ['a copy whose offset is cut short', Buffer.from([5, 0x00, 0x61, 0x02, 0x01])],
      ['less data than announced', Buffer.from([5, 0x00, 0x61])],
      ['a literal length cut short', Buffer.from([5, 61 << 2, 0x01])],
    ])('refuses %s with a format error', (_name, block) => {
      expect(() => decodeSnappyBlock(block, MiB)).toThrow(SnappyFormatError);
    });
  });
});

describe('crc32c', () => {
  it('is CRC-32C (the check value of "123456789")', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('decodeSnappyFramed', () => {
  it('decodes compressed and uncompressed chunks, skipping padding', () => {
    const data = Buffer.from(WIKIPEDIA);
    expect(decodeSnappyFramed(framedCompressed(WIKIPEDIA_BLOCK, data), MiB).toString()).toBe(WIKIPEDIA);
    const padded = Buffer.concat([framedUncompressed(data), Buffer.from([0xfe, 2, 0, 0, 0, 0])]);
    expect(decodeSnappyFramed(padded, MiB).toString()).toBe(WIKIPEDIA);
  });

  it('refuses a wrong checksum, a reserved chunk, a missing identifier and a stream over the cap', () => {
    const data = Buffer.from(WIKIPEDIA);
    expect(() => decodeSnappyFramed(framedUncompressed(data, 1234), MiB)).toThrow(SnappyFormatError);
    const reserved = Buffer.concat([framedUncompressed(data), Buffer.from([0x02, 0, 0, 0])]);
    expect(() => decodeSnappyFramed(reserved, MiB)).toThrow(SnappyFormatError);
    expect(() => decodeSnappyFramed(framedUncompressed(data).subarray(10), MiB)).toThrow(SnappyFormatError);
    expect(() => decodeSnappyFramed(framedUncompressed(data), 10)).toThrow(SnappyTooLargeError);
    expect(() => decodeSnappyFramed(framedCompressed(WIKIPEDIA_BLOCK, data), 10)).toThrow(SnappyTooLargeError);
  });
});

describe('decodeStoredBundle', () => {
  it('reads the three shapes a bundle is served in: snappy block, framed snappy, plain JSON', () => {
    const json = Buffer.from(JSON.stringify({ text: WIKIPEDIA }));
    expect(decodeStoredBundle(WIKIPEDIA_BLOCK, MiB)).toBe(WIKIPEDIA);
    expect(decodeStoredBundle(framedCompressed(WIKIPEDIA_BLOCK, Buffer.from(WIKIPEDIA)), MiB)).toBe(WIKIPEDIA);
    expect(decodeStoredBundle(json, MiB)).toBe(json.toString());
  });

  it('caps plain JSON too', () => {
    const json = Buffer.from(JSON.stringify({ text: WIKIPEDIA }));
    expect(() => decodeStoredBundle(json, 10)).toThrow(SnappyTooLargeError);
  });
});
