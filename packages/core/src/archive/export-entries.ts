import type { Conversion } from './conversions.js';
import type { TreeListing } from './tree-listing.js';
import type { EntryKind } from './zip-writer.js';

export interface ExportEntry {
  /** Its place among the plan's entries. */
  index: number;
  /** Package-relative path (checked UTF-8), without a trailing slash. */
  path: string;
  kind: EntryKind;
  oid: string;
  /** Size of the blob as stored; contents may change size when converted. */
  size: number;
  /** For regular files that git converts: how. */
  conversion?: Conversion;
}

const KINDS: readonly EntryKind[] = ['directory', 'file', 'executable', 'symlink'];
const KIND_CODES: Readonly<Record<EntryKind, number>> = { directory: 0, file: 1, executable: 2, symlink: 3 };

export const isRegularKind = (kind: EntryKind) => kind === 'file' || kind === 'executable';

/**
 * A plan's entries, held compactly: the tree's listing as git gave it (TreeListing: whole, about a
 * hundred bytes an entry outside the JavaScript heap, or through a window that keeps the lines of
 * the entries not yet released) and, per entry, where its line starts, its kind and its size
 * (17 bytes); an entry is read into an object only while it is used. Held as objects (path, object id,
 * size), the plan would keep a few hundred bytes an entry on the heap for the whole run, and V8
 * keeps room in proportion to what survives: memory would grow with the number of files.
 * Entries are added in order while the plan is selected.
 */
export class ExportEntries implements Iterable<ExportEntry> {
  readonly #listing: TreeListing;
  #lines: Float64Array;
  #sizes: Float64Array;
  #kinds: Uint8Array;
  readonly #conversions = new Map<number, Conversion>();
  #length = 0;

  /** `capacity`: how many entries there will be at most (the listing's), when known: sized once. */
  constructor(listing: TreeListing, capacity = 1024) {
    this.#listing = listing;
    // Every entry added is read again later (its path and object id), until released.
    listing.keepFrom(0);
    const size = Math.max(16, capacity);
    this.#lines = new Float64Array(size);
    this.#sizes = new Float64Array(size);
    this.#kinds = new Uint8Array(size);
  }

  get length(): number {
    return this.#length;
  }

  /** Adds the entry whose line starts at `line` in the listing. */
  add(line: number, kind: EntryKind, size: number, conversion?: Conversion): void {
    if (this.#length === this.#kinds.length) {
      const capacity = this.#length * 2;
      this.#lines = grown(this.#lines, new Float64Array(capacity));
      this.#sizes = grown(this.#sizes, new Float64Array(capacity));
      this.#kinds = grown(this.#kinds, new Uint8Array(capacity));
    }
    this.#lines[this.#length] = line;
    this.#sizes[this.#length] = size;
    this.#kinds[this.#length] = KIND_CODES[kind];
    if (conversion) this.#conversions.set(this.#length, conversion);
    this.#length += 1;
  }

  kindAt(index: number): EntryKind {
    return KINDS[this.#kinds[index]!]!;
  }

  sizeAt(index: number): number {
    return this.#sizes[index]!;
  }

  conversionAt(index: number): Conversion | undefined {
    return this.#conversions.get(index);
  }

  /**
   * Says that the entries before `index` will not be read again: a listing read through a window
   * (TreeListing) no longer keeps their lines. Entries are released in order.
   */
  release(index: number): void {
    // Entries added later have lines after the last one added so far.
    const line = index < this.#length ? this.#lines[index]! : this.#length > 0 ? this.#lines[this.#length - 1]! + 1 : 0;
    this.#listing.keepFrom(line);
  }

  /** The path of the entry at `index`, read from its line of the listing (it was checked when the plan was made). */
  pathAt(index: number): string {
    const start = this.pathStartAt(index);
    return this.#listing.text('utf8', start, this.pathEndAt(start));
  }

  /** The listing the entries are read from (git's output, kept as it came or read through a window). */
  get listing(): TreeListing {
    return this.#listing;
  }

  /**
   * Where the raw bytes of the path of the entry at `index` start in the listing (checked UTF-8
   * when the plan was made); they end at pathEndAt. Two numbers, not a view: nothing is made.
   */
  pathStartAt(index: number): number {
    return this.#listing.find(0x09, this.#lines[index]!) + 1;
  }

  /** Where the path that starts at `pathStart` (pathStartAt) ends in the listing. */
  pathEndAt(pathStart: number): number {
    return this.#listing.lineEnd(pathStart);
  }

  /** The object id of the entry at `index`, read from its line of the listing. */
  oidAt(index: number): string {
    const listing = this.#listing;
    const start = this.#lines[index]!;
    const afterType = listing.find(0x20, listing.find(0x20, start) + 1);
    return listing.text('latin1', afterType + 1, listing.find(0x20, afterType + 1));
  }

  /** The entry at `index`, as an object. */
  at(index: number): ExportEntry {
    const entry: ExportEntry = {
      index,
      path: this.pathAt(index),
      kind: KINDS[this.#kinds[index]!]!,
      oid: this.oidAt(index),
      size: this.#sizes[index]!,
    };
    const conversion = this.#conversions.get(index);
    if (conversion) entry.conversion = conversion;
    return entry;
  }

  *[Symbol.iterator](): Iterator<ExportEntry> {
    for (let i = 0; i < this.#length; i++) yield this.at(i);
  }

  /** The object ids and sizes of the entries whose kind and conversion pass `test`, in order (nothing else is read). */
  blobs(test: (kind: EntryKind, conversion: Conversion | undefined) => boolean): Array<{ oid: string; size: number }> {
    const blobs: Array<{ oid: string; size: number }> = [];
    for (let i = 0; i < this.#length; i++) {
      if (test(this.kindAt(i), this.#conversions.get(i))) blobs.push({ oid: this.oidAt(i), size: this.#sizes[i]! });
    }
    return blobs;
  }

  /**
   * The entries from `from` on (to `to`, by default the last), as objects, whose kind, size and
   * conversion pass `test` (the others are not read).
   */
  pick(
    test: (kind: EntryKind, size: number, conversion: Conversion | undefined) => boolean,
    from = 0,
    to = this.#length,
  ): ExportEntry[] {
    const picked: ExportEntry[] = [];
    for (let i = from; i < to; i++) {
      if (test(this.kindAt(i), this.#sizes[i]!, this.#conversions.get(i))) picked.push(this.at(i));
    }
    return picked;
  }
}

function grown<T extends Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
