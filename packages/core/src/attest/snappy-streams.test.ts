import { describe, expect, it } from 'vitest';
import { decodeSnappyFramed, decodeStoredBundle, SnappyFormatError } from './snappy.js';

const IDENTIFIER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);

describe('when a stored bundle is neither snappy nor whole JSON', () => {
  it('refuses a later stream identifier chunk that is not snappy’s', () => {
    const forged = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x58]);
    expect(() => decodeSnappyFramed(Buffer.concat([IDENTIFIER, forged]), 1024)).toThrow(
      new SnappyFormatError('the stream identifier is not snappy’s'),
    );
  });

  it('refuses a plain JSON bundle cut short, rather than returning half of it', () => {
    const cut = Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":');
    expect(() => decodeStoredBundle(cut, 1024 * 1024)).toThrow(SnappyFormatError);
  });

  it('reads a JSON array as a snappy block (a bundle is an object), and refuses it', () => {
    expect(() => decodeStoredBundle(Buffer.from('[{"mediaType":"x"}]'), 1024 * 1024)).toThrow(SnappyFormatError);
  });
});
