import { createHash } from 'node:crypto';

/**
 * The content-tree digest, version 1 (docs/content-digest.md is its specification): a SHA-256 over
 * a canonical listing of what a package contains — every file and symbolic link with its path,
 * kind and the SHA-256 of its bytes — independent of how a zip stores them.
 */

export const CONTENT_DIGEST_VERSION = 'phpublish-tree-v1';
export const CONTENT_DIGEST_PREFIX = `${CONTENT_DIGEST_VERSION}:sha256:`;

/** What the digest distinguishes: a regular file, an executable one, or a symbolic link. */
export type ContentKind = 'file' | 'executable' | 'symlink';

const MODE_OF: Record<ContentKind, string> = { file: '100644', executable: '100755', symlink: '120000' };

interface Listed {
  path: Buffer;
  line: Buffer;
}

/**
 * Collects the entries of one package tree, in any order, and gives its digest. Paths are
 * package-relative UTF-8 and must already satisfy the path rules (see paths.ts); directories are
 * not entries.
 */
export class ContentDigestBuilder {
  readonly #entries: Listed[] = [];

  add(path: string, kind: ContentKind, sha256: Buffer): void {
    const bytes = Buffer.from(path, 'utf8');
    const line = Buffer.concat([Buffer.from(`${MODE_OF[kind]} ${sha256.toString('hex')} `, 'latin1'), bytes, ZERO]);
    this.#entries.push({ path: bytes, line });
  }

  get count(): number {
    return this.#entries.length;
  }

  /** `phpublish-tree-v1:sha256:<64 hex digits>`. */
  digest(): string {
    const hash = createHash('sha256').update(`${CONTENT_DIGEST_VERSION}\n`, 'latin1');
    const sorted = [...this.#entries].sort((a, b) => Buffer.compare(a.path, b.path));
    for (const entry of sorted) hash.update(entry.line);
    return CONTENT_DIGEST_PREFIX + hash.digest('hex');
  }
}

const ZERO = Buffer.from([0]);
