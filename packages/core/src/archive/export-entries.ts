import type { Conversion } from './conversions.js';
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
 * A plan's entries, held compactly: the tree's listing as git gave it (about a hundred bytes an
 * entry, outside the JavaScript heap) and, per entry, where its line starts, its kind and its
 * size; an entry is read into an object only while it is used. Held as objects (path, object id,
 * size), the plan would keep a few hundred bytes an entry on the heap for the whole run, and V8
 * keeps room in proportion to what survives: memory would grow with the number of files.
 */
export class ExportEntries implements Iterable<ExportEntry> {
  readonly #listing: Buffer;
  readonly #lines: Float64Array;
  readonly #sizes: Float64Array;
  readonly #kinds: Uint8Array;
  readonly #conversions: ReadonlyMap<number, Conversion>;

  constructor(
    listing: Buffer,
    lines: Float64Array,
    sizes: Float64Array,
    kinds: Uint8Array,
    conversions: ReadonlyMap<number, Conversion>,
  ) {
    this.#listing = listing;
    this.#lines = lines;
    this.#sizes = sizes;
    this.#kinds = kinds;
    this.#conversions = conversions;
  }

  get length(): number {
    return this.#kinds.length;
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

  /** The path of the entry at `index`, read from its line of the listing (it was checked when the plan was made). */
  pathAt(index: number): string {
    const listing = this.#listing;
    // "<mode> <type> <oid> <padded size>\t<path>\0"
    const tab = listing.indexOf(0x09, this.#lines[index]!);
    const end = listing.indexOf(0, tab);
    return listing.toString('utf8', tab + 1, end === -1 ? listing.length : end);
  }

  /** The object id of the entry at `index`, read from its line of the listing. */
  oidAt(index: number): string {
    const listing = this.#listing;
    const start = this.#lines[index]!;
    const afterType = listing.indexOf(0x20, listing.indexOf(0x20, start) + 1);
    return listing.toString('latin1', afterType + 1, listing.indexOf(0x20, afterType + 1));
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
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  /** The entries, as objects, whose kind, size and conversion pass `test` (the others are not read). */
  pick(test: (kind: EntryKind, size: number, conversion: Conversion | undefined) => boolean): ExportEntry[] {
    const picked: ExportEntry[] = [];
    for (let i = 0; i < this.length; i++) {
      if (test(this.kindAt(i), this.#sizes[i]!, this.#conversions.get(i))) picked.push(this.at(i));
    }
    return picked;
  }

  /** The entries that pass `keep`, numbered anew. */
  keep(keep: (entry: ExportEntry) => boolean): ExportEntries {
    const kept = new ExportEntriesBuilder(this.#listing);
    for (let i = 0; i < this.length; i++) {
      if (keep(this.at(i))) kept.add(this.#lines[i]!, this.kindAt(i), this.#sizes[i]!, this.#conversions.get(i));
    }
    return kept.build();
  }
}

/** Collects a plan's entries, in order, as ExportEntries holds them. */
export class ExportEntriesBuilder {
  readonly #listing: Buffer;
  #lines = new Float64Array(1024);
  #sizes = new Float64Array(1024);
  #kinds = new Uint8Array(1024);
  readonly #conversions = new Map<number, Conversion>();
  #length = 0;

  constructor(listing: Buffer) {
    this.#listing = listing;
  }

  /** Adds the entry whose line starts at `line` in the listing. */
  add(line: number, kind: EntryKind, size: number, conversion?: Conversion): void {
    if (this.#length === this.#kinds.length) {
      const grow = <T extends Float64Array | Uint8Array>(from: T, to: T) => {
        to.set(from);
        return to;
      };
      const capacity = this.#length * 2;
      this.#lines = grow(this.#lines, new Float64Array(capacity));
      this.#sizes = grow(this.#sizes, new Float64Array(capacity));
      this.#kinds = grow(this.#kinds, new Uint8Array(capacity));
    }
    this.#lines[this.#length] = line;
    this.#sizes[this.#length] = size;
    this.#kinds[this.#length] = KIND_CODES[kind];
    if (conversion) this.#conversions.set(this.#length, conversion);
    this.#length += 1;
  }

  build(): ExportEntries {
    const n = this.#length;
    return new ExportEntries(
      this.#listing,
      this.#lines.slice(0, n),
      this.#sizes.slice(0, n),
      this.#kinds.slice(0, n),
      this.#conversions,
    );
  }
}
