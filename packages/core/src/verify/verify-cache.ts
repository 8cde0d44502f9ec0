import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A content-addressed cache of verification work that passed, so that CI verifying the same
 * composer.lock on every build does not redo it. Three kinds of entries, each keyed by everything
 * its result depends on:
 *   - bundle: a Sigstore bundle's bytes + the trusted root + the identity policy it was checked
 *     against (+ thresholds) → the verified statement and signer;
 *   - tag: a tag object's bytes + the tag name asked for + the trusted keys → the signature's facts;
 *   - dist: a dist zip's SHA-256 → its content-tree digest;
 *   - tag-object: a git tag object's id → its bytes (content-addressed: used only when the bytes
 *     hash to the id), so that an unmoved tag is not fetched again.
 * Every key also holds the phpublish version, so an upgrade starts afresh. Only passes are written:
 * a failure is never cached, so the cache can only skip work that would pass again. What the
 * cached result is compared with (the release's commit, version, the fresh dist's digest, the
 * fresh tag's target) is always checked anew by the caller.
 *
 * Entries are written to a temporary file and renamed into place (readers never see half an
 * entry), and checked when read: an entry that cannot be parsed, carries another key (a foreign
 * entry), does not match its own checksum or holds a value of the wrong shape is ignored, and the
 * verification it stood for is done again and written over it.
 */

export type CacheKind = 'bundle' | 'tag' | 'dist' | 'tag-object';

/** Where the cache lives and what invalidates it as a whole. */
export interface VerifyCacheOptions {
  dir: string;
  /** Part of every key: another phpublish version never reads this one's entries. */
  phpublishVersion: string;
}

/** What one run did with the cache (for the report line and the tests). */
export interface CacheStats {
  hits: number;
  /** Entries that were absent. */
  misses: number;
  /** Entries present but unusable (corrupted, foreign, wrong shape): ignored and rebuilt. */
  rejected: number;
  written: number;
}

const FORMAT = 'phpublish-verify-cache-v1';

interface Entry {
  format: string;
  kind: CacheKind;
  key: Record<string, unknown>;
  value: unknown;
  /** SHA-256 of the canonical JSON of { format, kind, key, value }: catches a damaged file. */
  checksum: string;
}

/** JSON with object keys sorted, so that equal values give equal text (and digests). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : inner,
  );
}

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export class VerifyCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, rejected: 0, written: 0 };
  /** The folder given, and the one inside it that holds this format's entries. */
  readonly #given: string;
  readonly #dir: string;
  readonly #version: string;
  readonly #warn: (message: string) => void;
  /** Whether the folder may be used: checked once (see #usable). */
  #ready: Promise<boolean> | undefined;

  constructor(options: VerifyCacheOptions, warn: (message: string) => void = () => {}) {
    this.#given = options.dir;
    this.#dir = join(options.dir, 'verify-v1');
    this.#version = options.phpublishVersion;
    let warned = false;
    this.#warn = (message) => {
      if (warned) return;
      warned = true;
      warn(message);
    };
  }

  /** The cached value for `key`, or undefined (absent, or present but not usable). */
  async get<T>(kind: CacheKind, key: Record<string, unknown>, isValue: (value: unknown) => value is T) {
    if (!(await this.#usable())) return undefined;
    const fullKey = this.#fullKey(key);
    let text: string;
    try {
      // Read synchronously: an entry is a few hundred bytes, and the promise API's open, stat, read
      // and close (four trips through the thread pool) cost more than the read; an unchanged
      // composer.lock reads four entries per package.
      text = readFileSync(this.#file(kind, fullKey), 'utf8');
    } catch {
      this.stats.misses += 1;
      return undefined;
    }
    const value = readEntry(text, kind, fullKey);
    if (value === undefined || !isValue(value)) {
      this.stats.rejected += 1;
      return undefined;
    }
    this.stats.hits += 1;
    return value;
  }

  /**
   * Keeps `value` (a result that passed) for `key`: written to a temporary file, then renamed over
   * the entry. A cache that cannot be written is not an error: verification goes on without it.
   */
  async put(kind: CacheKind, key: Record<string, unknown>, value: unknown): Promise<void> {
    if (!(await this.#usable())) return;
    const fullKey = this.#fullKey(key);
    const file = this.#file(kind, fullKey);
    const body = { format: FORMAT, kind, key: fullKey, value };
    const entry: Entry = { ...body, checksum: sha256Hex(canonicalJson(body)) };
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(join(this.#dir, kind), { recursive: true, mode: 0o700 });
      await writeFile(temporary, JSON.stringify(entry), { mode: 0o600 });
      await rename(temporary, file);
      this.stats.written += 1;
    } catch (error) {
      await rm(temporary, { force: true });
      this.#warn(
        `the verification cache in ${this.#dir} cannot be written (${(error as Error).message}); going on without it`,
      );
    }
  }

  #fullKey(key: Record<string, unknown>): Record<string, unknown> {
    return { ...key, phpublishVersion: this.#version };
  }

  /** Content-addressed: the file is named by the digest of its full key. */
  #file(kind: CacheKind, fullKey: Record<string, unknown>): string {
    return join(this.#dir, kind, `${sha256Hex(canonicalJson({ kind, key: fullKey }))}.json`);
  }

  /**
   * Entries vouch for passes, so a folder others can write to is not used: anyone who could write
   * there could make a failing package pass. Checked once; a missing folder is created private.
   */
  #usable(): Promise<boolean> {
    this.#ready ??= (async () => {
      try {
        await mkdir(this.#dir, { recursive: true, mode: 0o700 });
        const uid = process.getuid?.();
        for (const dir of [this.#given, this.#dir]) {
          const info = await stat(dir);
          if (uid !== undefined && info.uid !== uid) {
            this.#warn(`the verification cache ${dir} belongs to another user; not using it`);
            return false;
          }
          if (process.platform !== 'win32' && (info.mode & 0o022) !== 0) {
            this.#warn(`the verification cache ${dir} can be written by other users; not using it`);
            return false;
          }
        }
        return true;
      } catch (error) {
        this.#warn(
          `the verification cache ${this.#dir} cannot be used (${(error as Error).message}); going on without it`,
        );
        return false;
      }
    })();
    return this.#ready;
  }
}

/** The value of an entry read from disk, when it is whole, ours and for exactly this key. */
function readEntry(text: string, kind: CacheKind, fullKey: Record<string, unknown>): unknown {
  let entry: Partial<Entry>;
  try {
    entry = JSON.parse(text) as Partial<Entry>;
  } catch {
    return undefined;
  }
  if (!entry || typeof entry !== 'object' || entry.format !== FORMAT || entry.kind !== kind) return undefined;
  // A foreign entry (another key's file copied here) carries its own key, not this one.
  if (canonicalJson(entry.key) !== canonicalJson(fullKey)) return undefined;
  const { format, key, value, checksum } = entry;
  if (checksum !== sha256Hex(canonicalJson({ format, kind, key, value }))) return undefined;
  return value;
}
