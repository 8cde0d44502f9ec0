import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import {
  type CentralFields,
  centralHeader,
  dosDateTime,
  endRecords,
  FLAG_UTF8,
  HOST_UNIX,
  localHeader,
  MAX_UINT32,
  METHOD_DEFLATE,
  METHOD_STORE,
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

/** What every directory stores: nothing. */
const NO_DATA: StoredData = { method: METHOD_STORE, data: Buffer.alloc(0), crc: 0, size: 0 };

/** The central directory is kept in pieces of this size until it is written (no object per entry). */
const DIRECTORY_PIECE = 64 * 1024;

/** Writes are gathered up to this size, then written with one call. */
const WRITE_BUFFER = 1024 * 1024;

export interface StoredData {
  method: typeof METHOD_STORE | typeof METHOD_DEFLATE;
  /** The entry's bytes as stored in the zip (deflated or not). */
  data: Uint8Array;
  crc: number;
  size: number;
}

/** A large file as stored: its bytes come in pieces (addLargeEntry). */
export interface LargeStoredData {
  method: typeof METHOD_STORE | typeof METHOD_DEFLATE;
  crc: number;
  size: number;
  compressedSize: number;
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
 * in the order given, then the central directory. Every field is a function of the entries and
 * the one timestamp, so the same entries always give the same bytes. One entry at a time: each
 * add is awaited before the next.
 */
export class ZipWriter {
  readonly #file: FileHandle;
  readonly #date: number;
  readonly #time: number;
  readonly #limit: number;
  /** The central directory, its headers encoded as entries are added. */
  readonly #directory: Buffer[] = [];
  #directoryUsed = DIRECTORY_PIECE;
  #entries = 0;
  /** Bytes the zip has so far, written or waiting in the buffer. */
  #position = 0;
  readonly #buffer = Buffer.allocUnsafe(WRITE_BUFFER);
  #fill = 0;
  /** SHA-256 of what has gone to the file: no read-back once the zip is written. */
  readonly #hash = createHash('sha256');

  constructor(file: FileHandle, timestamp: number, limits: ZipLimits = { zip64: MAX_UINT32 }) {
    this.#file = file;
    ({ date: this.#date, time: this.#time } = dosDateTime(timestamp));
    this.#limit = limits.zip64;
  }

  addDirectory(name: Buffer): Promise<void> {
    return this.addEntry(name, 'directory', NO_DATA);
  }

  /** An entry whose stored bytes are known (a directory stores none). */
  async addEntry(name: Buffer, kind: EntryKind, stored: StoredData): Promise<void> {
    const offset = this.#position;
    const zip64 = stored.size >= this.#limit || stored.data.length >= this.#limit;
    const fields = this.#fields(name, kind, { ...stored, compressedSize: stored.data.length }, offset, zip64);
    // The central header is recorded at once; a zip whose data then fails to be written is not finished anyway.
    this.#record(fields);
    await this.#write(localHeader(fields, zip64));
    await this.#write(stored.data);
  }

  /**
   * Adds a large file: `compressedSize` bytes (its raw deflate stream, or the file as it is when
   * stored) that `data` yields in pieces (a piece's memory can be reused once the next is asked
   * for). Zip64 is decided from the file's size alone (with deflate's bound), however it was stored.
   */
  async addLargeEntry(
    name: Buffer,
    kind: 'file' | 'executable',
    stored: LargeStoredData,
    data: AsyncIterable<Uint8Array>,
  ): Promise<void> {
    const offset = this.#position;
    const zip64 = stored.size >= this.#limit || deflateBound(stored.size) >= this.#limit;
    if (!zip64 && stored.compressedSize >= this.#limit) {
      throw new Error(`deflate produced ${stored.compressedSize} bytes from ${stored.size}, beyond its bound`);
    }
    const fields = this.#fields(name, kind, stored, offset, zip64);
    this.#record(fields);
    await this.#write(localHeader(fields, zip64));
    let written = 0;
    for await (const piece of data) {
      written += piece.length;
      await this.#write(piece);
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
    for (const [i, piece] of this.#directory.entries()) {
      const last = i === this.#directory.length - 1;
      await this.#write(last ? piece.subarray(0, this.#directoryUsed) : piece);
    }
    const centralDirectorySize = this.#position - centralOffset;
    const end = { entries: this.#entries, centralDirectorySize, centralDirectoryOffset: centralOffset, comment };
    await this.#write(endRecords(end, this.#position, this.#limit));
    await this.#flush();
    return { bytes: this.#position, sha256: this.#hash.digest('hex') };
  }

  /**
   * The entry's central header fields (its local header is made of the same); `localZip64`: its
   * local header has a zip64 field.
   */
  #fields(name: Buffer, kind: EntryKind, stored: LargeStoredData, offset: number, localZip64: boolean): CentralFields {
    // 1.0 is enough to extract a stored file; directories and deflate need 2.0; zip64 4.5.
    const zip64 = localZip64 || offset >= this.#limit;
    const needsDeflate = kind === 'directory' || stored.method === METHOD_DEFLATE;
    return {
      name,
      method: stored.method,
      flags: isAscii(name) ? 0 : FLAG_UTF8,
      date: this.#date,
      time: this.#time,
      crc: stored.crc,
      compressedSize: stored.compressedSize,
      size: stored.size,
      versionNeeded: zip64 ? 45 : needsDeflate ? 20 : 10,
      versionMadeBy: (HOST_UNIX << 8) | (zip64 ? 45 : 20),
      externalAttributes: ((MODES[kind] << 16) | (kind === 'directory' ? DOS_DIRECTORY : 0)) >>> 0,
      localHeaderOffset: offset,
    };
  }

  /** Appends the entry's central header to the directory's pieces (a header may straddle two). */
  #record(fields: CentralFields): void {
    const header = centralHeader(fields, this.#limit);
    for (let at = 0; at < header.length; ) {
      if (this.#directoryUsed === DIRECTORY_PIECE) {
        this.#directory.push(Buffer.allocUnsafe(DIRECTORY_PIECE));
        this.#directoryUsed = 0;
      }
      const n = header.copy(this.#directory.at(-1)!, this.#directoryUsed, at);
      this.#directoryUsed += n;
      at += n;
    }
    this.#entries += 1;
  }

  /** Copies `data` into the zip; its memory can be reused once this settles. */
  async #write(data: Uint8Array): Promise<void> {
    for (let offset = 0; offset < data.length; ) {
      const n = Math.min(data.length - offset, WRITE_BUFFER - this.#fill);
      this.#buffer.set(data.subarray(offset, offset + n), this.#fill);
      this.#fill += n;
      this.#position += n;
      offset += n;
      if (this.#fill === WRITE_BUFFER) await this.#flush();
    }
  }

  async #flush(): Promise<void> {
    this.#hash.update(this.#buffer.subarray(0, this.#fill));
    await writeFully(this.#file, this.#buffer, this.#fill, this.#position - this.#fill);
    this.#fill = 0;
  }
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

async function writeFully(file: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  for (let done = 0; done < length; ) {
    // A write may be short (a full disk, a signal): continue where it stopped.
    const { bytesWritten } = await file.write(buffer, done, length - done, position + done);
    if (bytesWritten === 0) throw new Error('no progress writing the zip');
    done += bytesWritten;
  }
}
