/**
 * The zip records phpublish writes and reads (APPNOTE 6.3.10): local file headers, central
 * directory headers, the zip64 extra field and end records. Only what plain zips use.
 */

export const LOCAL_HEADER_SIGNATURE = 0x04034b50;
export const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
export const END_SIGNATURE = 0x06054b50;
export const ZIP64_END_SIGNATURE = 0x06064b50;
export const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
export const ZIP64_EXTRA_ID = 0x0001;

export const LOCAL_HEADER_SIZE = 30;
export const CENTRAL_HEADER_SIZE = 46;
export const END_SIZE = 22;
export const ZIP64_END_SIZE = 56;
export const ZIP64_LOCATOR_SIZE = 20;

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;
/** General purpose flag bit 11: the name is UTF-8. */
export const FLAG_UTF8 = 0x0800;
export const FLAG_ENCRYPTED = 0x0001;
export const FLAG_DATA_DESCRIPTOR = 0x0008;
export const FLAG_STRONG_ENCRYPTION = 0x0040;

/** The largest value a 32-bit field holds; at or above it a zip64 field is needed. */
export const MAX_UINT32 = 0xffffffff;
export const MAX_UINT16 = 0xffff;

/** "Made by" host 3: Unix, so external attributes carry a Unix mode in their upper 16 bits. */
export const HOST_UNIX = 3;

export const MODE_TYPE_MASK = 0o170000;
export const MODE_DIRECTORY = 0o040000;
export const MODE_REGULAR = 0o100000;
export const MODE_SYMLINK = 0o120000;

/** MS-DOS date and time fields of an instant, in UTC, clamped to what they can hold (1980–2107). */
export function dosDateTime(unixSeconds: number): { date: number; time: number } {
  const min = Date.UTC(1980, 0, 1) / 1000;
  const max = Date.UTC(2107, 11, 31, 23, 59, 58) / 1000;
  const d = new Date(Math.min(Math.max(unixSeconds, min), max) * 1000);
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

/** What a local and a central header share. */
export interface EntryFields {
  name: Buffer;
  method: number;
  flags: number;
  date: number;
  time: number;
  crc: number;
  compressedSize: number;
  size: number;
  versionNeeded: number;
}

export interface CentralFields extends EntryFields {
  versionMadeBy: number;
  externalAttributes: number;
  localHeaderOffset: number;
}

/**
 * Little-endian fields written byte by byte: the headers' fields are written for every entry,
 * and Buffer's write methods check their arguments in calls that can box a number per field.
 * Every value here is an integer that fits (sizes and offsets that do not go to zip64 fields).
 */
function u16(b: Uint8Array, at: number, value: number): void {
  b[at] = value & 0xff;
  b[at + 1] = (value >>> 8) & 0xff;
}

function u32(b: Uint8Array, at: number, value: number): void {
  b[at] = value & 0xff;
  b[at + 1] = (value >>> 8) & 0xff;
  b[at + 2] = (value >>> 16) & 0xff;
  b[at + 3] = (value >>> 24) & 0xff;
}

/** Version needed, flags, method, time, date and CRC-32: laid out alike in both headers, from `at`. */
function writeSharedFields(b: Buffer, at: number, entry: EntryFields): void {
  u16(b, at, entry.versionNeeded);
  u16(b, at + 2, entry.flags);
  u16(b, at + 4, entry.method);
  u16(b, at + 6, entry.time);
  u16(b, at + 8, entry.date);
  u32(b, at + 10, entry.crc >>> 0);
}

/** The length of a local file header: with `zip64`, a zip64 extra field carries both sizes. */
function localHeaderLength(entry: EntryFields, zip64: boolean): number {
  return LOCAL_HEADER_SIZE + entry.name.length + (zip64 ? 20 : 0);
}

/**
 * Writes a local file header into `b` at `at` (localHeaderLength bytes); with `zip64` both sizes
 * go to a zip64 extra field (as APPNOTE requires there). Returns where it ends. Every byte is
 * written: the target need not be zeroed.
 */
function writeLocalHeader(b: Buffer, at: number, entry: EntryFields, zip64: boolean): number {
  u32(b, at, LOCAL_HEADER_SIGNATURE);
  writeSharedFields(b, at + 4, entry);
  u32(b, at + 18, zip64 ? MAX_UINT32 : entry.compressedSize);
  u32(b, at + 22, zip64 ? MAX_UINT32 : entry.size);
  u16(b, at + 26, entry.name.length);
  u16(b, at + 28, zip64 ? 20 : 0);
  b.set(entry.name, at + LOCAL_HEADER_SIZE);
  let end = at + LOCAL_HEADER_SIZE + entry.name.length;
  if (zip64) {
    u16(b, end, ZIP64_EXTRA_ID);
    u16(b, end + 2, 16);
    b.writeBigUInt64LE(BigInt(entry.size), end + 4);
    b.writeBigUInt64LE(BigInt(entry.compressedSize), end + 12);
    end += 20;
  }
  return end;
}

/** A local file header in a buffer of its own (writeLocalHeader). */
export function localHeader(entry: EntryFields, zip64: boolean): Buffer {
  const b = Buffer.allocUnsafe(localHeaderLength(entry, zip64));
  writeLocalHeader(b, 0, entry, zip64);
  return b;
}

/** How many of a central header's size, compressed size and offset are at or above `limit` (zip64 fields). */
function wideFields(entry: CentralFields, limit: number): number {
  return (
    (entry.size >= limit ? 1 : 0) + (entry.compressedSize >= limit ? 1 : 0) + (entry.localHeaderOffset >= limit ? 1 : 0)
  );
}

/** A central header's 32-bit field: the value, or all ones when the zip64 field carries it. */
function narrowField(value: number, limit: number): number {
  return value < limit ? value : MAX_UINT32;
}

/** The length of a central directory header (writeCentralHeader). */
function centralHeaderLength(entry: CentralFields, limit = MAX_UINT32): number {
  const wide = wideFields(entry, limit);
  return CENTRAL_HEADER_SIZE + entry.name.length + (wide > 0 ? 4 + 8 * wide : 0);
}

/**
 * Writes a central directory header into `b` at `at` (centralHeaderLength bytes); fields at or
 * above `limit` move to a zip64 extra field, in APPNOTE's order. Returns where it ends.
 */
function writeCentralHeader(b: Buffer, at: number, entry: CentralFields, limit = MAX_UINT32): number {
  const wide = wideFields(entry, limit);
  u32(b, at, CENTRAL_HEADER_SIGNATURE);
  u16(b, at + 4, entry.versionMadeBy);
  writeSharedFields(b, at + 6, entry);
  u32(b, at + 20, narrowField(entry.compressedSize, limit));
  u32(b, at + 24, narrowField(entry.size, limit));
  u16(b, at + 28, entry.name.length);
  u16(b, at + 30, wide > 0 ? 4 + 8 * wide : 0);
  u16(b, at + 32, 0); // comment length
  u16(b, at + 34, 0); // disk number start
  u16(b, at + 36, 0); // internal attributes
  u32(b, at + 38, entry.externalAttributes >>> 0);
  u32(b, at + 42, narrowField(entry.localHeaderOffset, limit));
  b.set(entry.name, at + CENTRAL_HEADER_SIZE);
  let end = at + CENTRAL_HEADER_SIZE + entry.name.length;
  if (wide > 0) {
    u16(b, end, ZIP64_EXTRA_ID);
    u16(b, end + 2, 8 * wide);
    end += 4;
    // APPNOTE's order: size, compressed size, offset; only those that overflow.
    for (const value of [entry.size, entry.compressedSize, entry.localHeaderOffset]) {
      if (value < limit) continue;
      b.writeBigUInt64LE(BigInt(value), end);
      end += 8;
    }
  }
  return end;
}

/** A central directory header in a buffer of its own (writeCentralHeader). */
export function centralHeader(entry: CentralFields, limit = MAX_UINT32): Buffer {
  const b = Buffer.allocUnsafe(centralHeaderLength(entry, limit));
  writeCentralHeader(b, 0, entry, limit);
  return b;
}

export interface EndFields {
  entries: number;
  centralDirectorySize: number;
  centralDirectoryOffset: number;
  comment: Buffer;
}

/** The end of central directory record, preceded by the zip64 end record and locator when a field overflows. */
export function endRecords(end: EndFields, endOffset: number, limit = MAX_UINT32): Buffer {
  const zip64 = end.entries >= MAX_UINT16 || end.centralDirectorySize >= limit || end.centralDirectoryOffset >= limit;
  const parts: Buffer[] = [];
  if (zip64) {
    const record = Buffer.alloc(ZIP64_END_SIZE);
    record.writeUInt32LE(ZIP64_END_SIGNATURE, 0);
    record.writeBigUInt64LE(BigInt(ZIP64_END_SIZE - 12), 4);
    record.writeUInt16LE((HOST_UNIX << 8) | 45, 12);
    record.writeUInt16LE(45, 14);
    record.writeUInt32LE(0, 16);
    record.writeUInt32LE(0, 20);
    record.writeBigUInt64LE(BigInt(end.entries), 24);
    record.writeBigUInt64LE(BigInt(end.entries), 32);
    record.writeBigUInt64LE(BigInt(end.centralDirectorySize), 40);
    record.writeBigUInt64LE(BigInt(end.centralDirectoryOffset), 48);
    const locator = Buffer.alloc(ZIP64_LOCATOR_SIZE);
    locator.writeUInt32LE(ZIP64_LOCATOR_SIGNATURE, 0);
    locator.writeUInt32LE(0, 4);
    locator.writeBigUInt64LE(BigInt(endOffset), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(record, locator);
  }
  const record = Buffer.alloc(END_SIZE + end.comment.length);
  const entries = Math.min(end.entries, MAX_UINT16);
  record.writeUInt32LE(END_SIGNATURE, 0);
  record.writeUInt16LE(0, 4);
  record.writeUInt16LE(0, 6);
  record.writeUInt16LE(entries, 8);
  record.writeUInt16LE(entries, 10);
  record.writeUInt32LE(end.centralDirectorySize >= limit ? MAX_UINT32 : end.centralDirectorySize, 12);
  record.writeUInt32LE(end.centralDirectoryOffset >= limit ? MAX_UINT32 : end.centralDirectoryOffset, 16);
  record.writeUInt16LE(end.comment.length, 20);
  end.comment.copy(record, END_SIZE);
  parts.push(record);
  return Buffer.concat(parts);
}
