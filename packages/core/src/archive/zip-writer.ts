import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import {
  CENTRAL_HEADER_SIZE,
  type CentralFields,
  centralHeaderLength,
  dosDateTime,
  endRecords,
  FLAG_UTF8,
  HOST_UNIX,
  localHeaderLength,
  MAX_UINT16,
  MAX_UINT32,
  METHOD_DEFLATE,
  METHOD_STORE,
  writeCentralHeader,
  writeLocalHeader,
} from './zip-format.js';

/** What an entry is; it decides the Unix mode the zip records. */
export type EntryKind = 'directory' | 'file' | 'executable' | 'symlink';

const MODES: Record<EntryKind, number> = {
  directory: 0o040755,
  file: 0o100644,
  executable: 0o100755,
  symlink: 0o120777,
};

/** MS-DOS "directory" attribute, for readers that ignore Unix modes. */
const DOS_DIRECTORY = 0x10;

const EMPTY = Buffer.alloc(0);
/** What every directory stores: nothing. */
const NO_DATA: StoredData = { method: METHOD_STORE, data: EMPTY, crc: 0, size: 0 };

/** The central directory is kept, or set aside in its file, in pieces of this size until it is written. */
const DIRECTORY_PIECE = 64 * 1024;

/** Writes are gathered up to this size, then written with one call. */
const WRITE_BUFFER = 1024 * 1024;

/** The longest header: a central one with the longest name and a zip64 field of three values. */
const MAX_HEADER = CENTRAL_HEADER_SIZE + MAX_UINT16 + 4 + 3 * 8;

export interface StoredData {
  method: typeof METHOD_STORE | typeof METHOD_DEFLATE;
  /** The entry's bytes as stored in the zip (deflated or not). */
  data: Buffer;
  crc: number;
  size: number;
}

/** A zip64 field is needed from this value on; lowered only by tests, to exercise zip64 on small files. */
export interface ZipLimits {
  zip64: number;
}

/** zlib's deflateBound, rounded up: the largest raw deflate stream `size` bytes can become. */
function deflateBound(size: number): number {
  return size + Math.ceil(size / 4096) + Math.ceil(size / 16384) + 1024;
}

/**
 * Writes a zip front to back into an open file, each byte once: local header and data per entry,
 * in the order given, then the central directory. Every field is a function of the entries and the one
 * timestamp, so the same entries always give the same bytes.
 */
export class ZipWriter {
  readonly #file: FileHandle;
  readonly #date: number;
  readonly #time: number;
  readonly #limit: number;
  /**
   * The central directory, encoded as entries are added (not kept as objects: large packages stay
   * cheap). With a directory file, only the piece being filled is kept: each full piece goes to the
   * file until the directory is written, so memory does not grow with the number of entries.
   */
  readonly #directory: Buffer[] = [];
  #directoryUsed = DIRECTORY_PIECE;
  readonly #directoryFile: FileHandle | undefined;
  #directorySetAside = 0;
  #directoryWrites: Promise<void> = Promise.resolve();
  /** Pieces whose bytes are in the directory file: filled again instead of new ones (no garbage per piece). */
  readonly #freePieces: Buffer[] = [];
  #entries = 0;
  /** Bytes the zip has so far, written or waiting in the current buffer. */
  #position = 0;
  /** Two buffers: one fills while the other is being written. */
  readonly #buffers = [Buffer.allocUnsafe(WRITE_BUFFER), Buffer.allocUnsafe(WRITE_BUFFER)];
  #current = 0;
  #fill = 0;
  #writing: Promise<void> = Promise.resolve();
  /** SHA-256 of what has gone to the file: no read-back once the zip is written. */
  readonly #hash = createHash('sha256');
  /**
   * Where a header is made when it does not fit where it goes (the rest of the write buffer, or
   * of the directory's piece): one for local headers, which may wait for the disk, one for
   * central ones. Otherwise headers are written in place: no buffer per entry.
   */
  readonly #localScratch = Buffer.allocUnsafe(MAX_HEADER);
  readonly #centralScratch = Buffer.allocUnsafe(MAX_HEADER);
  /**
   * The fields of the entry being added, filled again for each: both of its headers are written
   * before an entry's add returns, so one object serves them all (no object per entry).
   */
  readonly #entryFields: CentralFields = {
    name: EMPTY,
    method: 0,
    flags: 0,
    date: 0,
    time: 0,
    crc: 0,
    compressedSize: 0,
    size: 0,
    versionNeeded: 0,
    versionMadeBy: 0,
    externalAttributes: 0,
    localHeaderOffset: 0,
  };

  /** `directoryFile`: an empty file where the central directory waits until it is written. */
  constructor(
    file: FileHandle,
    timestamp: number,
    limits: ZipLimits = { zip64: MAX_UINT32 },
    directoryFile?: FileHandle,
  ) {
    this.#file = file;
    this.#directoryFile = directoryFile;
    ({ date: this.#date, time: this.#time } = dosDateTime(timestamp));
    this.#limit = limits.zip64;
  }

  get entryCount(): number {
    return this.#entries;
  }

  /**
   * Adds a directory. Like addEntry, returns a promise only when it had to wait for the disk;
   * otherwise the entry is already in the zip's buffer (most entries: no promise per entry). The
   * name's bytes are copied before this returns: its memory can be reused at once.
   */
  addDirectory(name: Buffer): Promise<void> | undefined {
    return this.#addEntry(name, 'directory', NO_DATA);
  }

  /**
   * A file or symlink whose stored bytes are known; a promise only when it waits for the disk.
   * `stored` is read before this returns: the caller may fill the same object for the next entry.
   */
  addEntry(name: Buffer, kind: Exclude<EntryKind, 'directory'>, stored: StoredData): Promise<void> | undefined {
    return this.#addEntry(name, kind, stored);
  }

  /**
   * Adds a large file: `compressedSize` bytes (its raw deflate stream, or the file as it is when
   * stored) that `data` yields in pieces (a piece's memory can be reused once the next is asked
   * for). Zip64 is decided from the file's size alone (with deflate's bound), however it was stored.
   */
  async addLargeEntry(
    name: Buffer,
    kind: 'file' | 'executable',
    stored: { method: typeof METHOD_STORE | typeof METHOD_DEFLATE; crc: number; size: number; compressedSize: number },
    data: AsyncIterable<Uint8Array>,
  ): Promise<void> {
    const offset = this.#position;
    const localZip64 = stored.size >= this.#limit || deflateBound(stored.size) >= this.#limit;
    if (!localZip64 && stored.compressedSize >= this.#limit) {
      throw new Error(`deflate produced ${stored.compressedSize} bytes from ${stored.size}, beyond its bound`);
    }
    const fields = this.#fields(
      name,
      kind,
      stored.method,
      stored.crc,
      stored.compressedSize,
      stored.size,
      localZip64 || offset >= this.#limit,
      offset,
    );
    const header = this.#writeLocalHeader(fields, localZip64);
    // Recorded at once, like every entry: the name is not needed once this has begun.
    this.#record(fields);
    if (header) await header;
    let written = 0;
    for await (const piece of data) {
      written += piece.length;
      const pending = this.#write(piece);
      if (pending) await pending;
    }
    if (written !== stored.compressedSize) {
      throw new Error(`expected ${stored.compressedSize} deflated bytes, got ${written}`);
    }
  }

  /**
   * Writes the central directory and the end records; `comment` is the zip's comment. Returns the
   * zip's length and SHA-256 (of the bytes as they went to the file: each is written once, in order).
   */
  async finish(comment: Buffer): Promise<{ bytes: number; sha256: string }> {
    const centralOffset = this.#position;
    if (this.#directoryFile && this.#directorySetAside > 0) {
      await this.#directoryWrites;
      const buffer = Buffer.allocUnsafe(DIRECTORY_PIECE);
      for (let at = 0; at < this.#directorySetAside; ) {
        const { bytesRead } = await this.#directoryFile.read(buffer, 0, DIRECTORY_PIECE, at);
        if (bytesRead === 0) throw new Error('the central directory file ended early');
        at += bytesRead;
        const pending = this.#write(buffer.subarray(0, bytesRead));
        if (pending) await pending;
      }
    }
    for (const [i, piece] of this.#directory.entries()) {
      const last = i === this.#directory.length - 1;
      await this.#write(last ? piece.subarray(0, this.#directoryUsed) : piece);
    }
    const centralSize = this.#position - centralOffset;
    await this.#write(
      endRecords(
        {
          entries: this.#entries,
          centralDirectorySize: centralSize,
          centralDirectoryOffset: centralOffset,
          comment,
        },
        this.#position,
        this.#limit,
      ),
    );
    await this.#flush();
    return { bytes: this.#position, sha256: this.#hash.digest('hex') };
  }

  #addEntry(name: Buffer, kind: EntryKind, stored: StoredData): Promise<void> | undefined {
    const offset = this.#position;
    const data = stored.data;
    const zip64 = stored.size >= this.#limit || data.length >= this.#limit;
    const fields = this.#fields(
      name,
      kind,
      stored.method,
      stored.crc,
      data.length,
      stored.size,
      zip64 || offset >= this.#limit,
      offset,
    );
    const header = this.#writeLocalHeader(fields, zip64);
    // The central header is known now: recorded at once, so that the name's memory is free when
    // this returns. A zip whose data then fails to be written is not finished anyway.
    this.#record(fields);
    if (data.length === 0) return header;
    if (header) return header.then(() => this.#write(data));
    return this.#write(data);
  }

  /** Writes a local header in place in the write buffer, or through the scratch buffer when it does not fit. */
  #writeLocalHeader(fields: CentralFields, zip64: boolean): Promise<void> | undefined {
    const length = localHeaderLength(fields, zip64);
    if (this.#fill + length < WRITE_BUFFER) {
      writeLocalHeader(this.#buffers[this.#current]!, this.#fill, fields, zip64);
      this.#fill += length;
      this.#position += length;
      return undefined;
    }
    writeLocalHeader(this.#localScratch, 0, fields, zip64);
    return this.#write(this.#localScratch.subarray(0, length));
  }

  #record(fields: CentralFields): void {
    const length = centralHeaderLength(fields, this.#limit);
    if (this.#directoryUsed + length <= DIRECTORY_PIECE) {
      writeCentralHeader(this.#directory[this.#directory.length - 1]!, this.#directoryUsed, fields, this.#limit);
      this.#directoryUsed += length;
      this.#entries += 1;
      return;
    }
    const header = this.#centralScratch;
    writeCentralHeader(header, 0, fields, this.#limit);
    // Pieces of a fixed size, filled to the brim (a header may straddle two): the directory takes
    // what it needs, with nothing copied or left behind as it grows.
    for (let at = 0; at < length; ) {
      if (this.#directoryUsed === DIRECTORY_PIECE) {
        if (this.#directoryFile && this.#directory.length > 0) this.#setAside(this.#directory.pop()!);
        this.#directory.push(this.#freePieces.pop() ?? Buffer.allocUnsafe(DIRECTORY_PIECE));
        this.#directoryUsed = 0;
      }
      const n = Math.min(length - at, DIRECTORY_PIECE - this.#directoryUsed);
      header.copy(this.#directory[this.#directory.length - 1]!, this.#directoryUsed, at, at + n);
      this.#directoryUsed += n;
      at += n;
    }
    this.#entries += 1;
  }

  /** Appends a full piece of the central directory to its file (one write after the other). */
  #setAside(piece: Buffer): void {
    const file = this.#directoryFile!;
    const at = this.#directorySetAside;
    this.#directorySetAside += piece.length;
    this.#directoryWrites = this.#directoryWrites
      .then(() => writeFully(file, piece, piece.length, at))
      .then(() => {
        this.#freePieces.push(piece);
      });
    // A failure surfaces at finish().
    this.#directoryWrites.catch(() => {});
  }

  /** The entry's fields, in the one object reused from entry to entry (see #entryFields). */
  #fields(
    name: Buffer,
    kind: EntryKind,
    method: number,
    crc: number,
    compressedSize: number,
    size: number,
    zip64: boolean,
    offset: number,
  ): CentralFields {
    // 1.0 is enough to extract a stored file; directories and deflate need 2.0; zip64 4.5.
    const versionNeeded = zip64 ? 45 : kind === 'directory' || method === METHOD_DEFLATE ? 20 : 10;
    const mode = MODES[kind];
    const fields = this.#entryFields;
    fields.name = name;
    fields.method = method;
    fields.flags = isAscii(name) ? 0 : FLAG_UTF8;
    fields.date = this.#date;
    fields.time = this.#time;
    fields.crc = crc;
    fields.compressedSize = compressedSize;
    fields.size = size;
    fields.versionNeeded = versionNeeded;
    fields.versionMadeBy = (HOST_UNIX << 8) | (zip64 ? 45 : 20);
    fields.externalAttributes = ((mode << 16) | (kind === 'directory' ? DOS_DIRECTORY : 0)) >>> 0;
    fields.localHeaderOffset = offset;
    return fields;
  }

  /**
   * Copies `data` into the zip; its memory can be reused as soon as this returns (or, when it
   * returns a promise, once that settles). A promise only when a full buffer goes to the disk.
   */
  #write(data: Uint8Array): Promise<void> | undefined {
    if (this.#fill + data.length < WRITE_BUFFER) {
      this.#buffers[this.#current]!.set(data, this.#fill);
      this.#fill += data.length;
      this.#position += data.length;
      return undefined;
    }
    return this.#writeAcrossBuffers(data);
  }

  async #writeAcrossBuffers(data: Uint8Array): Promise<void> {
    for (let offset = 0; offset < data.length; ) {
      const n = Math.min(data.length - offset, WRITE_BUFFER - this.#fill);
      this.#buffers[this.#current]!.set(data.subarray(offset, offset + n), this.#fill);
      this.#fill += n;
      this.#position += n;
      offset += n;
      if (this.#fill === WRITE_BUFFER) await this.#swap();
    }
  }

  /** Starts writing the current buffer and switches to the other once its own write is done. */
  async #swap(): Promise<void> {
    const buffer = this.#buffers[this.#current]!;
    const length = this.#fill;
    await this.#writing;
    this.#hash.update(buffer.subarray(0, length));
    this.#writing = writeFully(this.#file, buffer, length, this.#position - length);
    // A failure surfaces at the next swap or flush.
    this.#writing.catch(() => {});
    this.#current ^= 1;
    this.#fill = 0;
  }

  async #flush(): Promise<void> {
    if (this.#fill > 0) await this.#swap();
    await this.#writing;
  }
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

export async function writeFully(file: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  for (let done = 0; done < length; ) {
    // A write may be short (a full disk, a signal): continue where it stopped.
    const { bytesWritten } = await file.write(buffer, done, length - done, position + done);
    if (bytesWritten === 0) throw new Error('no progress writing the zip');
    done += bytesWritten;
  }
}
