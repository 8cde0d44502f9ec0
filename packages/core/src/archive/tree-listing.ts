import { closeSync, readSync } from 'node:fs';
import { PhpublishError } from '../errors/index.js';
import { copyBytes, indexOfByte } from './bytes.js';

/** How much of a listing file a window holds at first; it grows only if a consumer keeps more. */
export const LISTING_WINDOW_BYTES = 256 * 1024;

/**
 * A tree's listing (`git ls-tree -z` output), addressed by offsets from its start, held either
 * whole in memory or — read from its file — as a window that moves forward through it. The
 * listing is about a hundred bytes an entry: held whole, a plan's memory grows with the number of
 * entries; a window holds only what its consumers still need, the lines between the oldest entry
 * a consumer keeps (`keepFrom`) and the line being read.
 *
 * Readers go through the listing in passes from its start (`ensure` with growing offsets); a
 * window moves forward only in `ensure`, so offsets into `bytes` (minus `base`) stay valid until
 * the next call. Bytes the window no longer has are read from the file again where asked for
 * (`text`, `copyTo`): rare (two paths whose hashes meet, an error message).
 */
export class TreeListing {
  /** The listing's length in bytes. */
  readonly length: number;
  readonly #fd: number | undefined;
  #bytes: Buffer;
  #base = 0;
  #filled: number;
  /** The earliest offset a consumer still needs (the listing's length: none). */
  #keepFrom: number;
  /** For bytes outside the window. */
  #scratch: Buffer | undefined;
  #closed = false;

  private constructor(bytes: Buffer, length: number, fd: number | undefined) {
    this.#bytes = bytes;
    this.length = length;
    this.#fd = fd;
    this.#filled = fd === undefined ? length : 0;
    this.#keepFrom = length;
  }

  /** A listing held whole. */
  static whole(listing: Buffer): TreeListing {
    return new TreeListing(listing, listing.length, undefined);
  }

  /**
   * A listing read from the open file `fd` (`length` bytes; the file may already be unlinked) in a
   * window of `windowBytes` at first. The listing owns `fd`: close() closes it.
   */
  static fromFile(fd: number, length: number, windowBytes = LISTING_WINDOW_BYTES): TreeListing {
    return new TreeListing(Buffer.allocUnsafe(Math.max(64, windowBytes)), length, fd);
  }

  /** The window's bytes: offset `o` of the listing is `bytes[o - base]`, for `base <= o < base + filled`. */
  get bytes(): Buffer {
    return this.#bytes;
  }

  get base(): number {
    return this.#base;
  }

  /** Where the window's bytes end, as an offset of the listing. */
  get end(): number {
    return this.#base + this.#filled;
  }

  /** Whether the listing is held whole (a window is never needed). */
  get isWhole(): boolean {
    return this.#fd === undefined;
  }

  /**
   * Says that consumers need the bytes from `offset` on (and none before): the window keeps them
   * as it moves. Until a consumer says so, a window keeps nothing behind the line being read.
   */
  keepFrom(offset: number): void {
    this.#keepFrom = Math.min(offset, this.length);
  }

  /**
   * Makes the window hold `[from, to)` (`to` at most the listing's length), moving it forward and
   * dropping what lies before both `from` and what consumers keep. `from` may lie before the
   * window (a new pass from the start): the window then starts again there.
   */
  ensure(from: number, to: number): void {
    if (this.#fd === undefined) return;
    const end = Math.min(to, this.length);
    if (from >= this.#base && end <= this.#base + this.#filled) return;
    if (from < this.#base) {
      // A new pass: what the window held is no longer asked for in order.
      this.#base = from;
      this.#filled = 0;
    } else {
      const keep = Math.min(this.#keepFrom, from);
      if (keep > this.#base) {
        const drop = Math.min(keep - this.#base, this.#filled);
        this.#bytes.copyWithin(0, drop, this.#filled);
        this.#filled -= drop;
        this.#base += drop;
      }
    }
    while (this.#base + this.#filled < end) {
      if (this.#filled === this.#bytes.length) {
        const bigger = Buffer.allocUnsafe(2 * this.#bytes.length);
        this.#bytes.copy(bigger, 0, 0, this.#filled);
        this.#bytes = bigger;
      }
      const read = this.#read(this.#bytes, this.#filled, this.#bytes.length - this.#filled, this.#base + this.#filled);
      if (read === 0) break;
      this.#filled += read;
    }
  }

  /**
   * The first offset from `from` on whose byte is `byte`, reading on as needed (-1 when there is
   * none); the window then holds `from` up to it.
   */
  find(byte: number, from: number): number {
    this.ensure(from, from + 1);
    let searched = from;
    for (;;) {
      const found = indexOfByte(this.#bytes, byte, searched - this.#base, this.#filled);
      if (found !== -1) return this.#base + found;
      const windowEnd = this.#base + this.#filled;
      if (windowEnd >= this.length) return -1;
      searched = windowEnd;
      // More than the window holds: it reads on (and grows, for a line longer than it).
      this.ensure(from, windowEnd + 1);
    }
  }

  /** Where the line from `from` ends: its NUL byte, or the listing's end. The window then holds the line. */
  lineEnd(from: number): number {
    const nul = this.find(0, from);
    return nul === -1 ? this.length : nul;
  }

  /** The bytes `[from, to)` as text, wherever they are. */
  text(encoding: 'utf8' | 'latin1', from: number, to: number): string {
    if (from >= this.#base && to <= this.#base + this.#filled) {
      return this.#bytes.toString(encoding, from - this.#base, to - this.#base);
    }
    return this.#outside(from, to).toString(encoding, 0, to - from);
  }

  /** The bytes `[from, to)` read from the file into the scratch buffer (from its start). */
  #outside(from: number, to: number): Buffer {
    const length = to - from;
    if (!this.#scratch || this.#scratch.length < length) this.#scratch = Buffer.allocUnsafe(Math.max(length, 4096));
    this.#readFully(this.#scratch, length, from);
    return this.#scratch;
  }

  /** Copies `[from, to)` into `target` at `at`, wherever the bytes are; returns where the copy ends there. */
  copyTo(from: number, to: number, target: Uint8Array, at: number): number {
    if (from >= this.#base && to <= this.#base + this.#filled) {
      return copyBytes(this.#bytes, from - this.#base, to - this.#base, target, at);
    }
    return copyBytes(this.#outside(from, to), 0, to - from, target, at);
  }

  /** Closes the listing's file (the window can no longer move); nothing for a listing held whole. */
  close(): void {
    if (this.#fd === undefined || this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }

  #readFully(target: Buffer, length: number, position: number): void {
    for (let done = 0; done < length; ) {
      const read = this.#read(target, done, length - done, position + done);
      if (read === 0) throw this.#failure('the listing file ended early');
      done += read;
    }
  }

  #read(target: Buffer, at: number, length: number, position: number): number {
    if (this.#fd === undefined) {
      // Held whole: the bytes are the listing's own.
      return this.#bytes.copy(target, at, position, Math.min(position + length, this.length));
    }
    if (this.#closed) throw this.#failure('it is closed');
    try {
      return readSync(this.#fd, target, at, length, position);
    } catch (error) {
      throw this.#failure(String(error), error);
    }
  }

  #failure(problem: string, cause?: unknown): PhpublishError {
    return new PhpublishError(
      'ARCHIVE_GIT_FAILED',
      { command: 'ls-tree', problem: `reading its listing back: ${problem}` },
      cause ? { cause } : undefined,
    );
  }
}
