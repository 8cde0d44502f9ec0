import { crc32, createInflateRaw, inflateRawSync } from 'node:zlib';
import { PhpublishError } from '../errors/index.js';
import { printablePath } from './paths.js';
import {
  CENTRAL_HEADER_SIGNATURE,
  CENTRAL_HEADER_SIZE,
  END_SIGNATURE,
  END_SIZE,
  FLAG_DATA_DESCRIPTOR,
  FLAG_ENCRYPTED,
  FLAG_STRONG_ENCRYPTION,
  HOST_UNIX,
  LOCAL_HEADER_SIGNATURE,
  LOCAL_HEADER_SIZE,
  MAX_UINT16,
  MAX_UINT32,
  METHOD_DEFLATE,
  METHOD_STORE,
  MODE_DIRECTORY,
  MODE_REGULAR,
  MODE_SYMLINK,
  MODE_TYPE_MASK,
  ZIP64_END_SIGNATURE,
  ZIP64_END_SIZE,
  ZIP64_EXTRA_ID,
  ZIP64_LOCATOR_SIGNATURE,
  ZIP64_LOCATOR_SIZE,
} from './zip-format.js';

/**
 * A strict zip reader for zips that may be hostile (a zipball to verify): it trusts nothing,
 * reads entries through the central directory only, refuses anything two tools could read
 * differently (overlapping or unreferenced bytes, names that differ between the two headers,
 * ambiguous end records), and checks every size and CRC while it streams contents.
 */

export type ZipEntryKind = 'directory' | 'file' | 'executable' | 'symlink';

export interface ZipEntry {
  /** The name's raw bytes as stored, as a Latin-1 string (one character per byte). */
  name: string;
  kind: ZipEntryKind;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  /** Where the entry's data starts, known once its local header was read. */
  dataOffset: number;
}

/**
 * What the reader needs of a zip: its size and positioned reads. A FileHandle is one; so is a
 * zip already in memory (`zipInMemory`), which then needs no scratch file.
 */
export interface ZipInput {
  stat(): Promise<{ size: number }>;
  read(target: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/** A zip held in memory, read like a file. */
export function zipInMemory(bytes: Uint8Array): ZipInput {
  return {
    stat: async () => ({ size: bytes.length }),
    read: async (target, offset, length, position) => {
      const end = Math.min(bytes.length, position + length);
      if (position >= end) return { bytesRead: 0 };
      target.set(bytes.subarray(position, end), offset);
      return { bytesRead: end - position };
    },
  };
}

const invalid = (file: string, problem: string) => new PhpublishError('ARCHIVE_ZIP_INVALID', { file, problem });
const unsupported = (file: string, problem: string, entry?: string) =>
  new PhpublishError('ARCHIVE_ZIP_UNSUPPORTED', { file, problem, ...(entry ? { entry } : {}) });

/** The central directory is read whole; beyond this a zip is refused (about 600,000 entries). */
const MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024;
/** Entries whose data is up to this size are read and inflated in one call; larger ones stream. */
const WHOLE_UP_TO = 1024 * 1024;
const READ_CHUNK = 256 * 1024;
const DESCRIPTOR_SIGNATURE = 0x08074b50;

/**
 * Reads a file front to back through one reused buffer: a zip's entries are read in file order,
 * so almost every read is served from memory. A returned buffer is valid until the next read.
 */
class SequentialReader {
  readonly #file: ZipInput;
  readonly #size: number;
  readonly #display: string;
  readonly #buffer = Buffer.allocUnsafe(1024 * 1024);
  #start = 0;
  #length = 0;

  constructor(file: ZipInput, size: number, display: string) {
    this.#file = file;
    this.#size = size;
    this.#display = display;
  }

  async read(position: number, length: number): Promise<Buffer> {
    if (position >= this.#start && position + length <= this.#start + this.#length) {
      return this.#buffer.subarray(position - this.#start, position - this.#start + length);
    }
    if (position + length > this.#size) throw invalid(this.#display, 'a record points outside the file');
    const target = length > this.#buffer.length ? Buffer.allocUnsafe(length) : this.#buffer;
    const want = Math.max(length, Math.min(target.length, this.#size - position));
    await readFully(this.#file, target, want, position, this.#display);
    if (target === this.#buffer) {
      this.#start = position;
      this.#length = want;
    }
    return target.subarray(0, length);
  }
}

async function readFully(file: ZipInput, target: Buffer, length: number, position: number, display: string) {
  for (let done = 0; done < length; ) {
    const { bytesRead } = await file.read(target, done, length - done, position + done);
    if (bytesRead === 0) throw invalid(display, 'the file ended early');
    done += bytesRead;
  }
}

/**
 * Where end of central directory records may start in the last bytes of a file: the end record
 * is the only one whose comment length reaches exactly to the end of the file.
 */
function endRecords(tail: Buffer): number[] {
  const candidates: number[] = [];
  for (let i = tail.length - END_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === END_SIGNATURE && i + END_SIZE + tail.readUInt16LE(i + 20) === tail.length) {
      candidates.push(i);
    }
  }
  return candidates;
}

/**
 * Whether a file is a zip at all: it has an end of central directory record, which is what every
 * zip tool looks for first. A file that has one but breaks other rules is a damaged or hostile
 * zip (ARCHIVE_ZIP_INVALID); one without is something else (a tarball, an error page).
 */
export async function isZip(file: ZipInput): Promise<boolean> {
  const { size } = await file.stat();
  const tail = Buffer.alloc(Math.min(size, END_SIZE + MAX_UINT16));
  await readFully(file, tail, tail.length, size - tail.length, 'the file');
  return endRecords(tail).length > 0;
}

export class ZipReader {
  /** In central directory order. */
  readonly entries: ZipEntry[];
  readonly #display: string;
  readonly #reader: SequentialReader;
  readonly #centralOffset: number;

  private constructor(file: ZipInput, size: number, display: string, entries: ZipEntry[], centralOffset: number) {
    this.#display = display;
    this.#reader = new SequentialReader(file, size, display);
    this.entries = entries;
    this.#centralOffset = centralOffset;
  }

  /** Reads and checks the end records and the central directory. */
  static async open(file: ZipInput, display: string): Promise<ZipReader> {
    const { size } = await file.stat();
    const read: ReadCopy = async (position, length) => {
      if (position < 0 || position + length > size) throw invalid(display, 'a record points outside the file');
      const buffer = Buffer.alloc(length);
      await readFully(file, buffer, length, position, display);
      return buffer;
    };
    const { count, centralOffset, centralSize } = await readEndRecords(read, size, display);
    const central = await read(centralOffset, centralSize);
    const entries: ZipEntry[] = [];
    for (let at = 0; at < central.length; ) {
      const { entry, next } = centralEntry(central, at, display);
      entries.push(entry);
      at = next;
    }
    if (entries.length !== count) throw invalid(display, 'the end record counts a different number of entries');
    return new ZipReader(file, size, display, entries, centralOffset);
  }

  /**
   * The entries in file order, each checked against its local header before it is handed out:
   * entries must tile the space before the central directory exactly, so that no byte is shared
   * by two entries (overlap) and none is hidden between them. Read an entry's content before
   * asking for the next.
   */
  async *inFileOrder(): AsyncGenerator<ZipEntry> {
    const display = this.#display;
    const ordered = [...this.entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    const first = ordered[0]?.localHeaderOffset ?? this.#centralOffset;
    if (first !== 0) throw invalid(display, 'unreferenced bytes before the first entry');
    for (const [index, entry] of ordered.entries()) {
      const shown = printablePath(entry.name);
      const header = await this.#reader.read(entry.localHeaderOffset, LOCAL_HEADER_SIZE);
      if (header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE)
        throw invalid(display, `the local header of "${shown}" is missing`);
      const nameLength = header.readUInt16LE(26);
      const extraLength = header.readUInt16LE(28);
      const method = header.readUInt16LE(8);
      const encrypted = (header.readUInt16LE(6) & FLAG_ENCRYPTED) !== 0;
      const localName = await this.#reader.read(entry.localHeaderOffset + LOCAL_HEADER_SIZE, nameLength);
      if (localName.toString('latin1') !== entry.name)
        throw invalid(display, `the two headers of "${shown}" name different files`);
      if (method !== entry.method || encrypted) throw invalid(display, `the two headers of "${shown}" disagree`);
      entry.dataOffset = entry.localHeaderOffset + LOCAL_HEADER_SIZE + nameLength + extraLength;
      // Where the next entry (or the central directory) starts is where this one must end.
      const following = ordered[index + 1];
      const next = following?.localHeaderOffset ?? this.#centralOffset;
      let end = entry.dataOffset + entry.compressedSize;
      if (entry.flags & FLAG_DATA_DESCRIPTOR) {
        // A data descriptor follows: 12 bytes, or 20 with zip64 sizes, each maybe after a signature.
        const head = end + 4 <= this.#centralOffset ? await this.#reader.read(end, 4) : Buffer.alloc(4);
        const signed = head.readUInt32LE(0) === DESCRIPTOR_SIGNATURE;
        const lengths = signed ? [16, 24] : [12, 20];
        const length = lengths.find((candidate) => end + candidate === next);
        if (length !== undefined) {
          // Its fields are what a streaming reader goes by: they must say what the central directory says.
          const fields = await this.#reader.read(end + (signed ? 4 : 0), length - (signed ? 4 : 0));
          if (!descriptorAgrees(fields, entry)) {
            throw invalid(display, `the data descriptor of "${shown}" disagrees with the central directory`);
          }
        }
        end += length ?? lengths[0]!;
      }
      if (end > next) {
        throw new PhpublishError('ARCHIVE_ZIP_OVERLAP', {
          file: display,
          entry: shown,
          other: following ? printablePath(following.name) : '(central directory)',
        });
      }
      if (end < next) throw invalid(display, `unreferenced bytes after the entry "${shown}"`);
      yield entry;
    }
  }

  /**
   * The entry's uncompressed bytes, in chunks (each valid until the next is asked for), checked
   * against the sizes and the CRC the central directory declares. A deflate stream that would
   * produce more than declared is cut short.
   */
  async *content(entry: ZipEntry): AsyncGenerator<Buffer> {
    const shown = printablePath(entry.name);
    const damaged = (problem: string) => invalid(this.#display, `entry "${shown}": ${problem}`);
    if (entry.dataOffset < 0) throw new Error('content() before the entry was reached in file order');
    let crc = 0;
    let produced = 0;
    const check = (chunk: Buffer) => {
      produced += chunk.length;
      if (produced > entry.size) throw damaged('it holds more bytes than declared');
      crc = crc32(chunk, crc);
      return chunk;
    };
    if (entry.method === METHOD_STORE) {
      for await (const chunk of this.#raw(entry)) yield check(chunk);
    } else if (entry.compressedSize <= WHOLE_UP_TO && entry.size <= WHOLE_UP_TO) {
      const compressed = await this.#reader.read(entry.dataOffset, entry.compressedSize);
      let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
      try {
        inflated = inflateRawSync(compressed, { info: true, maxOutputLength: Math.max(entry.size, 1) }) as never;
      } catch (error) {
        throw damaged(`its deflate data is damaged or larger than declared (${(error as Error).message})`);
      }
      if (inflated.engine.bytesWritten !== entry.compressedSize) throw damaged('bytes follow its deflate data');
      yield check(inflated.buffer);
    } else {
      const inflate = createInflateRaw();
      const feed = (async () => {
        for await (const chunk of this.#raw(entry)) {
          // The reader's buffer is reused: zlib gets its own copy.
          if (!inflate.write(Buffer.from(chunk))) await new Promise((resolve) => inflate.once('drain', resolve));
        }
        inflate.end();
      })();
      feed.catch((error: unknown) => inflate.destroy(error as Error));
      try {
        for await (const chunk of inflate) yield check(chunk as Buffer);
      } catch (error) {
        if (error instanceof PhpublishError) throw error;
        throw damaged(`its deflate data is damaged (${(error as Error).message})`);
      } finally {
        inflate.destroy();
      }
      await feed;
      if (inflate.bytesWritten !== entry.compressedSize) throw damaged('bytes follow its deflate data');
    }
    if (produced !== entry.size) throw damaged('it holds fewer bytes than declared');
    if (crc >>> 0 !== entry.crc >>> 0) throw damaged('its CRC-32 does not match');
  }

  async *#raw(entry: ZipEntry): AsyncGenerator<Buffer> {
    for (let done = 0; done < entry.compressedSize; ) {
      const n = Math.min(READ_CHUNK, entry.compressedSize - done);
      yield await this.#reader.read(entry.dataOffset + done, n);
      done += n;
    }
  }
}

/** `length` bytes of the zip from `position`, in a buffer of their own. */
type ReadCopy = (position: number, length: number) => Promise<Buffer>;

/** The entry count and the central directory's place, from the end record and its zip64 form, checked against each other. */
async function readEndRecords(read: ReadCopy, size: number, display: string) {
  const tailLength = Math.min(size, END_SIZE + MAX_UINT16);
  const tail = await read(size - tailLength, tailLength);
  const candidates = endRecords(tail);
  if (candidates.length === 0) throw invalid(display, 'it has no end of central directory record');
  if (candidates.length > 1) throw invalid(display, 'it has more than one end of central directory record');
  const endOffset = size - tailLength + candidates[0]!;
  const end = tail.subarray(candidates[0]!);
  if (end.readUInt16LE(4) !== 0 || end.readUInt16LE(6) !== 0) throw unsupported(display, 'several disks');
  let count = end.readUInt16LE(10);
  let centralSize = end.readUInt32LE(12);
  let centralOffset = end.readUInt32LE(16);
  if (end.readUInt16LE(8) !== count) throw invalid(display, 'the entry counts of the end record disagree');
  let centralEnd = endOffset;

  if (endOffset >= ZIP64_LOCATOR_SIZE) {
    const locator = await read(endOffset - ZIP64_LOCATOR_SIZE, ZIP64_LOCATOR_SIZE);
    if (locator.readUInt32LE(0) === ZIP64_LOCATOR_SIGNATURE) {
      if (locator.readUInt32LE(4) !== 0 || locator.readUInt32LE(16) !== 1) throw unsupported(display, 'several disks');
      const recordOffset = Number(locator.readBigUInt64LE(8));
      const record = await read(recordOffset, ZIP64_END_SIZE);
      if (record.readUInt32LE(0) !== ZIP64_END_SIGNATURE) throw invalid(display, 'the zip64 end record is missing');
      if (recordOffset + 12 + Number(record.readBigUInt64LE(4)) !== endOffset - ZIP64_LOCATOR_SIZE) {
        throw invalid(display, 'unreferenced bytes after the zip64 end record');
      }
      if (record.readUInt32LE(16) !== 0 || record.readUInt32LE(20) !== 0) throw unsupported(display, 'several disks');
      const count64 = Number(record.readBigUInt64LE(32));
      if (Number(record.readBigUInt64LE(24)) !== count64) {
        throw invalid(display, 'the entry counts of the end record disagree');
      }
      const fit = (narrow: number, wide: number, max: number) => {
        if (narrow !== max && narrow !== wide) throw invalid(display, 'the end records disagree');
        return wide;
      };
      count = fit(count, count64, MAX_UINT16);
      centralSize = fit(centralSize, Number(record.readBigUInt64LE(40)), MAX_UINT32);
      centralOffset = fit(centralOffset, Number(record.readBigUInt64LE(48)), MAX_UINT32);
      centralEnd = recordOffset;
    }
  }
  if (centralOffset + centralSize !== centralEnd) {
    throw invalid(display, 'the central directory does not end where the end records begin');
  }
  if (centralSize > MAX_CENTRAL_DIRECTORY) throw unsupported(display, 'a central directory larger than 64 MiB');
  return { count, centralOffset, centralSize };
}

/** The central directory header at `at`, checked, and where the next one starts. */
function centralEntry(central: Buffer, at: number, display: string): { entry: ZipEntry; next: number } {
  const header = central.subarray(at);
  if (header.length < CENTRAL_HEADER_SIZE || header.readUInt32LE(0) !== CENTRAL_HEADER_SIGNATURE) {
    throw invalid(display, 'a central directory header is damaged');
  }
  const nameEnd = CENTRAL_HEADER_SIZE + header.readUInt16LE(28);
  const extraEnd = nameEnd + header.readUInt16LE(30);
  const length = extraEnd + header.readUInt16LE(32);
  if (length > header.length) throw invalid(display, 'a central directory header is damaged');
  const name = header.toString('latin1', CENTRAL_HEADER_SIZE, nameEnd);
  const shown = printablePath(name);
  let size = header.readUInt32LE(24);
  let compressedSize = header.readUInt32LE(20);
  let localHeaderOffset = header.readUInt32LE(42);
  const disk = header.readUInt16LE(34);
  if (size === MAX_UINT32 || compressedSize === MAX_UINT32 || localHeaderOffset === MAX_UINT32 || disk === MAX_UINT16) {
    const wide = zip64Fields(header.subarray(nameEnd, extraEnd)) ?? [];
    const take = () => {
      const value = wide.shift();
      if (value === undefined) throw invalid(display, `the entry "${shown}" lacks its zip64 sizes`);
      return value;
    };
    if (size === MAX_UINT32) size = take();
    if (compressedSize === MAX_UINT32) compressedSize = take();
    if (localHeaderOffset === MAX_UINT32) localHeaderOffset = take();
  }
  if (disk !== 0) throw unsupported(display, 'several disks', shown);
  const flags = header.readUInt16LE(8);
  const method = header.readUInt16LE(10);
  if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) throw unsupported(display, 'encryption', shown);
  if (method !== METHOD_STORE && method !== METHOD_DEFLATE) {
    throw unsupported(display, `compression method ${method}`, shown);
  }
  if (method === METHOD_STORE && size !== compressedSize) {
    throw invalid(display, `the stored entry "${shown}" has two sizes`);
  }
  const kind = entryKind(name, header.readUInt16LE(4) >> 8, header.readUInt32LE(38), shown, display);
  if (kind === 'directory' && (size !== 0 || compressedSize > 2)) {
    // An empty deflate stream takes two bytes; anything more would be data no tool extracts.
    throw invalid(display, `the directory entry "${shown}" carries data`);
  }
  const crc = header.readUInt32LE(16);
  return {
    entry: { name, kind, method, flags, crc, compressedSize, size, localHeaderOffset, dataOffset: -1 },
    next: at + length,
  };
}

/** Whether a data descriptor's CRC and sizes (32-bit, or 64-bit in its longer form) are the entry's. */
function descriptorAgrees(fields: Buffer, entry: ZipEntry): boolean {
  const wide = fields.length === 20;
  const compressedSize = wide ? Number(fields.readBigUInt64LE(4)) : fields.readUInt32LE(4);
  const size = wide ? Number(fields.readBigUInt64LE(12)) : fields.readUInt32LE(8);
  return fields.readUInt32LE(0) === entry.crc >>> 0 && compressedSize === entry.compressedSize && size === entry.size;
}

/** The values of a zip64 extended information extra field, in order, or undefined when there is none. */
function zip64Fields(extra: Buffer): number[] | undefined {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (at + 4 + length > extra.length) return undefined;
    if (id === ZIP64_EXTRA_ID) {
      const values: number[] = [];
      for (let i = 0; i + 8 <= length; i += 8) values.push(Number(extra.readBigUInt64LE(at + 4 + i)));
      return values;
    }
    at += 4 + length;
  }
  return undefined;
}

/**
 * What an entry is. The Unix mode counts only when the zip was made on Unix (host 3): git and
 * GitHub record modes for executables and symlinks only, and leave other files without one.
 */
function entryKind(name: string, host: number, externalAttributes: number, shown: string, file: string): ZipEntryKind {
  const slash = name.endsWith('/');
  const mode = host === HOST_UNIX ? externalAttributes >>> 16 : 0;
  const type = mode & MODE_TYPE_MASK;
  const dosDirectory = (externalAttributes & 0x10) !== 0;
  if (slash) {
    if (type !== 0 && type !== MODE_DIRECTORY)
      throw invalid(file, `"${shown}" is named like a directory but is not one`);
    return 'directory';
  }
  if (type === MODE_DIRECTORY || (type === 0 && dosDirectory)) {
    throw unsupported(file, 'a directory entry without a trailing slash', shown);
  }
  if (type === MODE_SYMLINK) return 'symlink';
  if (type === 0) return 'file';
  if (type === MODE_REGULAR) return mode & 0o100 ? 'executable' : 'file';
  throw unsupported(file, `a special file (mode ${mode.toString(8)})`, shown);
}
