/**
 * A small decoder for Google's snappy compression, enough to read the attestation bundles GitHub
 * serves by reference (`Content-Type: application/x-snappy`, `.json.sn`): the raw block format
 * (what GitHub serves), the framed stream format, and plain JSON, as other consumers accept.
 * Formats: https://github.com/google/snappy/blob/main/format_description.txt and framing_format.txt.
 *
 * The decoded length is checked against `maxLength` BEFORE anything is allocated: a block announces
 * it in its preamble, so a few bytes claiming gigabytes are refused at once (a "length bomb").
 */

/** The input is not snappy data (or is corrupt); `reason` says where, for messages. */
export class SnappyFormatError extends Error {
  override name = 'SnappyFormatError';
}

/** The decoded data would be larger than allowed; `length` is what it announced (or reached). */
export class SnappyTooLargeError extends Error {
  override name = 'SnappyTooLargeError';
  constructor(readonly length: number) {
    super(`decoded length ${length} is over the limit`);
  }
}

const STREAM_IDENTIFIER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
/** The framing format caps a chunk's uncompressed data at 64 KiB. */
const MAX_FRAME_DATA = 65_536;

/** The varint preamble of a block: the decoded length, at most 2^32 - 1 (five bytes). */
function readPreamble(input: Uint8Array): { length: number; start: number } {
  let length = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= input.length) throw new SnappyFormatError('the length preamble is cut short');
    const byte = input[i]!;
    length += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (length > 0xffffffff) throw new SnappyFormatError('the length preamble is over 32 bits');
      return { length, start: i + 1 };
    }
  }
  throw new SnappyFormatError('the length preamble is over 32 bits');
}

/** The length a snappy block announces, without decoding it. */
export function snappyBlockLength(input: Uint8Array): number {
  return readPreamble(input).length;
}

/** Reads `count` bytes little-endian at `at`. */
function littleEndian(input: Uint8Array, at: number, count: number): number {
  if (at + count > input.length) throw new SnappyFormatError('an element is cut short');
  let value = 0;
  for (let i = count - 1; i >= 0; i--) value = value * 256 + input[at + i]!;
  return value;
}

/** Decodes one snappy block (the raw format); refuses one announcing more than `maxLength` bytes. */
export function decodeSnappyBlock(input: Uint8Array, maxLength: number): Buffer {
  const { length, start } = readPreamble(input);
  if (length > maxLength) throw new SnappyTooLargeError(length);
  const output = Buffer.alloc(length);
  let written = 0;
  let at = start;
  while (at < input.length) {
    const tag = input[at++]!;
    const kind = tag & 0x03;
    if (kind === 0) {
      // A literal: its length - 1 in the tag's upper six bits, or in the 1-4 bytes after it.
      let size = tag >>> 2;
      if (size >= 60) {
        const bytes = size - 59;
        size = littleEndian(input, at, bytes);
        at += bytes;
      }
      size += 1;
      if (at + size > input.length) throw new SnappyFormatError('a literal runs past the end of the input');
      if (written + size > length) throw new SnappyFormatError('the data is longer than its preamble says');
      output.set(input.subarray(at, at + size), written);
      at += size;
      written += size;
      continue;
    }
    // A copy of earlier output: its length and how far back it starts.
    let size: number;
    let offset: number;
    if (kind === 1) {
      size = 4 + ((tag >>> 2) & 0x07);
      offset = ((tag >>> 5) << 8) | littleEndian(input, at, 1);
      at += 1;
    } else {
      size = (tag >>> 2) + 1;
      const bytes = kind === 2 ? 2 : 4;
      offset = littleEndian(input, at, bytes);
      at += bytes;
    }
    if (offset === 0 || offset > written) throw new SnappyFormatError('a copy refers to data before the start');
    if (written + size > length) throw new SnappyFormatError('the data is longer than its preamble says');
    // Byte by byte: a copy may overlap what it writes (offset < size repeats a pattern).
    for (let i = 0; i < size; i++, written++) output[written] = output[written - offset]!;
  }
  if (written !== length) throw new SnappyFormatError('the data is shorter than its preamble says');
  return output;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), the checksum of the framing format. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The framing format stores the CRC "masked" (rotated and offset), so CRCs of CRCs stay useful. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Decodes a framed snappy stream, counting the decoded bytes against `maxLength` as it goes. */
export function decodeSnappyFramed(input: Uint8Array, maxLength: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let at = 0;
  let identified = false;
  while (at < input.length) {
    if (at + 4 > input.length) throw new SnappyFormatError('a chunk header is cut short');
    const type = input[at]!;
    const size = littleEndian(input, at + 1, 3);
    const body = input.subarray(at + 4, at + 4 + size);
    if (body.length !== size) throw new SnappyFormatError('a chunk is cut short');
    at += 4 + size;
    if (type === 0xff) {
      if (!Buffer.from(input.subarray(at - 4 - size, at)).equals(STREAM_IDENTIFIER)) {
        throw new SnappyFormatError('the stream identifier is not snappy’s');
      }
      identified = true;
      continue;
    }
    if (!identified) throw new SnappyFormatError('the stream does not start with snappy’s identifier');
    if (type === 0x00 || type === 0x01) {
      if (size < 4) throw new SnappyFormatError('a data chunk has no checksum');
      const data =
        type === 0x00
          ? decodeSnappyBlock(body.subarray(4), Math.min(MAX_FRAME_DATA, maxLength - total))
          : Buffer.from(body.subarray(4));
      if (data.length > MAX_FRAME_DATA) throw new SnappyFormatError('a chunk holds more than 64 KiB');
      if (maskedCrc32c(data) !== littleEndian(body, 0, 4)) throw new SnappyFormatError('a chunk’s checksum is wrong');
      total += data.length;
      if (total > maxLength) throw new SnappyTooLargeError(total);
      parts.push(data);
    } else if (type <= 0x7f) {
      throw new SnappyFormatError(`the stream has a chunk of reserved type 0x${type.toString(16)}`);
    }
    // 0x80-0xfe: padding and skippable chunks.
  }
  if (!identified) throw new SnappyFormatError('the stream is empty');
  return Buffer.concat(parts, total);
}

/** Whether `input` starts like a framed snappy stream. */
function isFramed(input: Uint8Array): boolean {
  return (
    input.length >= STREAM_IDENTIFIER.length && STREAM_IDENTIFIER.equals(input.subarray(0, STREAM_IDENTIFIER.length))
  );
}

/** Whether `input` is a JSON object as it is (a store that did not compress it). */
function isJsonObject(input: Uint8Array): boolean {
  if (input[0] !== 0x7b) return false;
  try {
    const value: unknown = JSON.parse(Buffer.from(input).toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * The text of a bundle served by reference, whatever of the three shapes it comes in: framed
 * snappy, plain JSON, else a snappy block. Throws SnappyTooLargeError past `maxLength` decoded
 * bytes and SnappyFormatError for anything else that is not one of them.
 */
export function decodeStoredBundle(input: Uint8Array, maxLength: number): string {
  if (isFramed(input)) return utf8(decodeSnappyFramed(input, maxLength));
  if (!isJsonObject(input)) return utf8(decodeSnappyBlock(input, maxLength));
  if (input.length > maxLength) throw new SnappyTooLargeError(input.length);
  return utf8(input);
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
