/**
 * A small snappy compressor (raw block format, and the framed stream around it), so the sandbox can
 * serve attestation bundles the way GitHub's blob storage does (`application/x-snappy`). Greedy and
 * simple: a hash of four bytes finds an earlier match, emitted as a copy; the rest as literals. Its
 * output is valid snappy that any decoder reads; it does not aim at snappy's own ratio or speed.
 * Format: https://github.com/google/snappy/blob/main/format_description.txt
 */

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

function literal(out: number[], data: Uint8Array, from: number, to: number): void {
  for (let start = from; start < to; start += 65_536) {
    const size = Math.min(65_536, to - start);
    if (size <= 60) out.push((size - 1) << 2);
    else if (size <= 256) out.push(60 << 2, size - 1);
    else out.push(61 << 2, (size - 1) & 0xff, (size - 1) >>> 8);
    for (let i = start; i < start + size; i++) out.push(data[i]!);
  }
}

/** A copy with a two-byte offset (at most 64 bytes each; longer matches become several). */
function copy(out: number[], offset: number, length: number): void {
  let rest = length;
  while (rest > 0) {
    const size = Math.min(64, rest);
    out.push(((size - 1) << 2) | 2, offset & 0xff, offset >>> 8);
    rest -= size;
  }
}

/** `data` as one snappy block. */
export function snappyCompress(data: Uint8Array): Buffer {
  const out = varint(data.length);
  const seen = new Map<number, number>();
  let literalStart = 0;
  let at = 0;
  while (at + 4 <= data.length) {
    const key = (data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!;
    const earlier = seen.get(key);
    seen.set(key, at);
    if (earlier === undefined || at - earlier > 0xffff) {
      at++;
      continue;
    }
    let length = 4;
    while (at + length < data.length && data[earlier + length] === data[at + length]) length++;
    literal(out, data, literalStart, at);
    copy(out, at - earlier, length);
    at += length;
    literalStart = at;
  }
  literal(out, data, literalStart, data.length);
  return Buffer.from(out);
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

function maskedCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  crc = (crc ^ 0xffffffff) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** `data` as a framed snappy stream: the stream identifier, then compressed chunks of 64 KiB. */
export function snappyFrame(data: Uint8Array): Buffer {
  const parts: Buffer[] = [Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59])];
  for (let start = 0; start < data.length; start += 65_536) {
    const chunk = data.subarray(start, start + 65_536);
    const block = snappyCompress(chunk);
    const header = Buffer.alloc(8);
    header[0] = 0x00;
    header.writeUIntLE(block.length + 4, 1, 3);
    header.writeUInt32LE(maskedCrc32c(chunk), 4);
    parts.push(header, block);
  }
  return Buffer.concat(parts);
}
