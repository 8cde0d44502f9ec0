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

/** Version needed, flags, method, time, date and CRC-32: laid out alike in both headers, from `at`. */
function writeSharedFields(b: Buffer, at: number, entry: EntryFields): void {
  b.writeUInt16LE(entry.versionNeeded, at);
  b.writeUInt16LE(entry.flags, at + 2);
  b.writeUInt16LE(entry.method, at + 4);
  b.writeUInt16LE(entry.time, at + 6);
  b.writeUInt16LE(entry.date, at + 8);
  b.writeUInt32LE(entry.crc >>> 0, at + 10);
}

/** A local file header; with `zip64` both sizes go to a zip64 extra field (as APPNOTE requires there). */
export function localHeader(entry: EntryFields, zip64: boolean): Buffer {
  const b = Buffer.alloc(LOCAL_HEADER_SIZE + entry.name.length + (zip64 ? 20 : 0));
  b.writeUInt32LE(LOCAL_HEADER_SIGNATURE, 0);
  writeSharedFields(b, 4, entry);
  b.writeUInt32LE(zip64 ? MAX_UINT32 : entry.compressedSize, 18);
  b.writeUInt32LE(zip64 ? MAX_UINT32 : entry.size, 22);
  b.writeUInt16LE(entry.name.length, 26);
  b.writeUInt16LE(zip64 ? 20 : 0, 28);
  entry.name.copy(b, LOCAL_HEADER_SIZE);
  if (zip64) {
    const extra = LOCAL_HEADER_SIZE + entry.name.length;
    b.writeUInt16LE(ZIP64_EXTRA_ID, extra);
    b.writeUInt16LE(16, extra + 2);
    b.writeBigUInt64LE(BigInt(entry.size), extra + 4);
    b.writeBigUInt64LE(BigInt(entry.compressedSize), extra + 12);
  }
  return b;
}

/**
 * A central directory header; its size, compressed size and offset at or above `limit` move to a
 * zip64 extra field, in APPNOTE's order (size, compressed size, offset; only those that overflow).
 */
export function centralHeader(entry: CentralFields, limit = MAX_UINT32): Buffer {
  const wide = [entry.size, entry.compressedSize, entry.localHeaderOffset].filter((value) => value >= limit);
  const narrow = (value: number) => (value < limit ? value : MAX_UINT32);
  const extraLength = wide.length > 0 ? 4 + 8 * wide.length : 0;
  const b = Buffer.alloc(CENTRAL_HEADER_SIZE + entry.name.length + extraLength);
  b.writeUInt32LE(CENTRAL_HEADER_SIGNATURE, 0);
  b.writeUInt16LE(entry.versionMadeBy, 4);
  writeSharedFields(b, 6, entry);
  b.writeUInt32LE(narrow(entry.compressedSize), 20);
  b.writeUInt32LE(narrow(entry.size), 24);
  b.writeUInt16LE(entry.name.length, 28);
  b.writeUInt16LE(extraLength, 30);
  // Comment length, disk number start and internal attributes stay 0.
  b.writeUInt32LE(entry.externalAttributes >>> 0, 38);
  b.writeUInt32LE(narrow(entry.localHeaderOffset), 42);
  entry.name.copy(b, CENTRAL_HEADER_SIZE);
  if (wide.length > 0) {
    const extra = CENTRAL_HEADER_SIZE + entry.name.length;
    b.writeUInt16LE(ZIP64_EXTRA_ID, extra);
    b.writeUInt16LE(8 * wide.length, extra + 2);
    for (const [i, value] of wide.entries()) b.writeBigUInt64LE(BigInt(value), extra + 4 + 8 * i);
  }
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
    // Disk numbers stay 0.
    record.writeBigUInt64LE(BigInt(end.entries), 24);
    record.writeBigUInt64LE(BigInt(end.entries), 32);
    record.writeBigUInt64LE(BigInt(end.centralDirectorySize), 40);
    record.writeBigUInt64LE(BigInt(end.centralDirectoryOffset), 48);
    const locator = Buffer.alloc(ZIP64_LOCATOR_SIZE);
    locator.writeUInt32LE(ZIP64_LOCATOR_SIGNATURE, 0);
    locator.writeBigUInt64LE(BigInt(endOffset), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(record, locator);
  }
  const record = Buffer.alloc(END_SIZE + end.comment.length);
  const entries = Math.min(end.entries, MAX_UINT16);
  record.writeUInt32LE(END_SIGNATURE, 0);
  record.writeUInt16LE(entries, 8);
  record.writeUInt16LE(entries, 10);
  record.writeUInt32LE(end.centralDirectorySize >= limit ? MAX_UINT32 : end.centralDirectorySize, 12);
  record.writeUInt32LE(end.centralDirectoryOffset >= limit ? MAX_UINT32 : end.centralDirectoryOffset, 16);
  record.writeUInt16LE(end.comment.length, 20);
  end.comment.copy(record, END_SIZE);
  parts.push(record);
  return Buffer.concat(parts);
}
