import { createHash, type Hash } from 'node:crypto';

/**
 * The content-tree digest, version 1 (docs/content-digest.md is its specification): a SHA-256 over
 * a canonical listing of what a package contains — every file and symbolic link with its path,
 * kind and the SHA-256 of its bytes — independent of how a zip stores them.
 */

export const CONTENT_DIGEST_VERSION = 'phpublish-tree-v1';
export const CONTENT_DIGEST_PREFIX = `${CONTENT_DIGEST_VERSION}:sha256:`;

/** What the digest distinguishes: a regular file, an executable one, or a symbolic link. */
export type ContentKind = 'file' | 'executable' | 'symlink';

const MODES: Record<ContentKind, string> = { file: '100644', executable: '100755', symlink: '120000' };
/** Lines are gathered up to this many characters, then hashed with one call. */
const PENDING_LIMIT = 64 * 1024;

interface Line {
  /** The path's UTF-8 bytes: lines sort by them (not by UTF-16 strings). */
  path: Buffer;
  text: string;
}

/**
 * Collects the entries of one package tree and gives its digest. Paths are package-relative and
 * must already satisfy the path rules (paths.ts); directories are not entries. Entries are kept,
 * and sorted by the bytes of their paths when the digest is asked for.
 *
 * `ordered: true` is for entries that come in the byte order of their paths (from git they do:
 * git's tree order is the byte order of the paths): each is hashed as it comes and nothing is
 * kept, so memory does not grow with the package; an entry out of order is a bug and throws.
 */
export class ContentDigestBuilder {
  readonly #ordered: boolean;
  readonly #kept: Line[] = [];
  readonly #hash: Hash = createHash('sha256').update(`${CONTENT_DIGEST_VERSION}\n`, 'utf8');
  #pending = '';
  #previous: Buffer | undefined;
  #count = 0;

  constructor({ ordered = false }: { ordered?: boolean } = {}) {
    this.#ordered = ordered;
  }

  add(path: string, kind: ContentKind, sha256: Uint8Array): void {
    const line = {
      path: Buffer.from(path, 'utf8'),
      text: `${MODES[kind]} ${Buffer.from(sha256).toString('hex', 0, 32)} ${path}\0`,
    };
    this.#count += 1;
    if (!this.#ordered) {
      this.#kept.push(line);
      return;
    }
    if (this.#previous && Buffer.compare(this.#previous, line.path) >= 0) {
      throw new Error(`content digest: "${path}" does not come after the entry before it`);
    }
    this.#previous = line.path;
    this.#write(line);
  }

  get count(): number {
    return this.#count;
  }

  /** `phpublish-tree-v1:sha256:<64 hex digits>`. */
  digest(): string {
    for (const line of this.#kept.sort((a, b) => Buffer.compare(a.path, b.path))) this.#write(line);
    this.#hash.update(this.#pending, 'utf8');
    return CONTENT_DIGEST_PREFIX + this.#hash.digest('hex');
  }

  #write(line: Line): void {
    this.#pending += line.text;
    if (this.#pending.length < PENDING_LIMIT) return;
    this.#hash.update(this.#pending, 'utf8');
    this.#pending = '';
  }
}
