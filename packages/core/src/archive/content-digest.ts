import { createHash, type Hash } from 'node:crypto';
import { compareBytes, copyBytes } from './bytes.js';

/**
 * The content-tree digest, version 1 (docs/content-digest.md is its specification): a SHA-256 over
 * a canonical listing of what a package contains — every file and symbolic link with its path,
 * kind and the SHA-256 of its bytes — independent of how a zip stores them.
 */

export const CONTENT_DIGEST_VERSION = 'phpublish-tree-v1';
export const CONTENT_DIGEST_PREFIX = `${CONTENT_DIGEST_VERSION}:sha256:`;

/** What the digest distinguishes: a regular file, an executable one, or a symbolic link. */
export type ContentKind = 'file' | 'executable' | 'symlink';

const MODES: readonly string[] = ['100644', '100755', '120000'];
const MODE_BYTES: readonly Buffer[] = MODES.map((mode) => Buffer.from(mode, 'latin1'));
const MODE_INDEX: Record<ContentKind, number> = { file: 0, executable: 1, symlink: 2 };
const KINDS: readonly ContentKind[] = ['file', 'executable', 'symlink'];
const SHA256_BYTES = 32;

/**
 * Collects the entries of one package tree and gives its digest. Paths are package-relative UTF-8
 * and must already satisfy the path rules (paths.ts); directories are not entries. Entries are
 * kept packed in one buffer (`path NUL mode sha256` each), not as objects, so that a large
 * package costs little memory; they are sorted only if they did not arrive in order.
 *
 * `ordered: true` is for entries that come in the byte order of their paths (from git they do:
 * git's tree order is the byte order of the paths): each is hashed as it comes and nothing is
 * kept, so memory does not grow with the package; an entry out of order is a bug and throws.
 */
export class ContentDigestBuilder {
  #arena = Buffer.allocUnsafe(0);
  #used = 0;
  readonly #starts: number[] = [];
  #sorted = true;
  #previous = -1;
  readonly #ordered: OrderedLines | undefined;

  constructor({ ordered = false }: { ordered?: boolean } = {}) {
    if (ordered) this.#ordered = new OrderedLines();
  }

  /** `path` as text, or as its UTF-8 bytes; the SHA-256 is `sha256[shaStart, shaStart + 32)`. */
  add(path: string | Uint8Array, kind: ContentKind, sha256: Uint8Array, shaStart = 0): void {
    if (this.#ordered) {
      this.#ordered.add(path, kind, sha256, shaStart);
      return;
    }
    const length = byteLength(path);
    const need = length + 2 + SHA256_BYTES;
    if (this.#used + need > this.#arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#arena.length * 2, this.#used + need, 64 * 1024));
      this.#arena.copy(bigger, 0, 0, this.#used);
      this.#arena = bigger;
    }
    const start = this.#used;
    writePath(this.#arena, path, start);
    this.#arena[start + length] = 0;
    this.#arena[start + length + 1] = MODE_INDEX[kind];
    copyBytes(sha256, shaStart, shaStart + SHA256_BYTES, this.#arena, start + length + 2);
    this.#used += need;
    if (this.#previous >= 0 && this.#compare(this.#previous, start) >= 0) this.#sorted = false;
    this.#previous = start;
    this.#starts.push(start);
  }

  get count(): number {
    return this.#ordered ? this.#ordered.count : this.#starts.length;
  }

  /** `phpublish-tree-v1:sha256:<64 hex digits>`. */
  digest(): string {
    if (this.#ordered) return CONTENT_DIGEST_PREFIX + this.#ordered.digest();
    // The kept entries, sorted when they did not come in order, written as the ordered form writes them.
    const lines = new OrderedLines();
    const order = this.#sorted ? this.#starts : [...this.#starts].sort((a, b) => this.#compare(a, b));
    for (const start of order) {
      const end = this.#arena.indexOf(0, start);
      lines.add(this.#arena.toString('utf8', start, end), KINDS[this.#arena[end + 1]!]!, this.#arena, end + 2);
    }
    return CONTENT_DIGEST_PREFIX + lines.digest();
  }

  /** Byte order of the paths of two entries (each ends with NUL, which sorts before any path byte). */
  #compare(a: number, b: number): number {
    const endA = this.#arena.indexOf(0, a);
    const endB = this.#arena.indexOf(0, b);
    return Buffer.compare(this.#arena.subarray(a, endA), this.#arena.subarray(b, endB));
  }
}

const byteLength = (path: string | Uint8Array) =>
  typeof path === 'string' ? Buffer.byteLength(path, 'utf8') : path.length;

/** Writes a path (text or UTF-8 bytes) into `target` at `at`; returns how many bytes. */
function writePath(target: Buffer, path: string | Uint8Array, at: number): number {
  if (typeof path === 'string') return target.write(path, at, 'utf8');
  target.set(path, at);
  return path.length;
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Lines are gathered up to this size, then hashed with one call. */
const LINES_BUFFER = 64 * 1024;

/**
 * The digest's lines, from entries in the byte order of their paths: one line per entry,
 * "<mode> <sha256 hex> <path>" and a NUL, written into a buffer as it comes, and the buffer hashed
 * each time it is full: no string, buffer or hash call per entry. The path's bytes are kept (in a buffer reused from one
 * entry to the next) to check that the next one comes after it.
 */
class OrderedLines {
  readonly #hash: Hash = createHash('sha256').update(`${CONTENT_DIGEST_VERSION}\n`, 'latin1');
  #lines = Buffer.allocUnsafe(LINES_BUFFER);
  #used = 0;
  #previous = Buffer.allocUnsafe(1024);
  #previousLength = -1;
  count = 0;

  add(path: string | Uint8Array, kind: ContentKind, sha256: Uint8Array, shaStart: number): void {
    const pathLength = byteLength(path);
    // "100644 " + 64 hex digits + " " + path + NUL
    const need = 7 + 2 * SHA256_BYTES + 1 + pathLength + 1;
    if (this.#used + need > this.#lines.length) {
      this.#hash.update(this.#lines.subarray(0, this.#used));
      this.#used = 0;
      if (need > this.#lines.length) this.#lines = Buffer.allocUnsafe(need);
    }
    const lines = this.#lines;
    let at = this.#used;
    const mode = MODE_BYTES[MODE_INDEX[kind]]!;
    at = copyBytes(mode, 0, mode.length, lines, at);
    lines[at++] = 0x20;
    for (let i = shaStart; i < shaStart + SHA256_BYTES; i++) {
      const byte = sha256[i]!;
      lines[at++] = HEX[byte >> 4]!;
      lines[at++] = HEX[byte & 0x0f]!;
    }
    lines[at++] = 0x20;
    const pathStart = at;
    at += writePath(lines, path, at);
    lines[at++] = 0;
    // Path and NUL compared with the entry before (the NUL sorts a path before its extensions),
    // in place: nothing made per entry.
    const previous = this.#previous;
    if (this.#previousLength >= 0 && compareBytes(previous, 0, this.#previousLength, lines, pathStart, at) >= 0) {
      throw new Error(
        `content digest: "${lines.toString('utf8', pathStart, at - 1)}" does not come after the entry before it`,
      );
    }
    if (at - pathStart > previous.length) this.#previous = Buffer.allocUnsafe(2 * (at - pathStart));
    copyBytes(lines, pathStart, at, this.#previous, 0);
    this.#previousLength = at - pathStart;
    this.#used = at;
    this.count += 1;
  }

  digest(): string {
    this.#hash.update(this.#lines.subarray(0, this.#used));
    this.#used = 0;
    return this.#hash.digest('hex');
  }
}
