import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SAMPLE_BYTES, worthDeflating } from './build-archive.js';

/** Bytes no deflate can shrink: a chain of SHA-512 digests. */
function randomBytes(length: number): Buffer {
  const pieces: Buffer[] = [];
  for (let i = 0; pieces.length * 64 < length; i++) pieces.push(createHash('sha512').update(String(i)).digest());
  return Buffer.concat(pieces).subarray(0, length);
}

describe('when deciding whether a large file is deflated', () => {
  it('deflates text, stores random bytes and an empty start, and looks only at the first 64 KiB', () => {
    const text = Buffer.from('<?php final class Example { public function run(): void {} }\n'.repeat(4000));
    expect(worthDeflating(text)).toBe(true);
    expect(worthDeflating(randomBytes(256 * 1024))).toBe(false);
    expect(worthDeflating(Buffer.alloc(0))).toBe(false);
    // Random bytes first, text after the sample: stored (the rule depends on the sample alone).
    expect(worthDeflating(Buffer.concat([randomBytes(SAMPLE_BYTES), text]))).toBe(false);
    expect(worthDeflating(Buffer.concat([text.subarray(0, SAMPLE_BYTES), randomBytes(SAMPLE_BYTES)]))).toBe(true);
  });
});
