import { convertToCrlf, expandIdent, findSubstPlaceholders, substitute } from './conversions.js';
import type { ExportEntry, ExportPlan } from './export-plan.js';
import { SubstExpander } from './export-subst.js';
import { BlobReader, type GitContext } from './git-objects.js';

/** Streamed files come in chunks of exactly this size (the last one shorter), so that deflate always sees the same input. */
export const STREAM_CHUNK = 256 * 1024;

/** One entry with its bytes; read a `blob` or `chunks` item completely before asking for the next. */
export type ExportedContent =
  | { entry: ExportEntry; kind: 'directory' }
  /** Converted files and symlink targets, in memory. */
  | { entry: ExportEntry; kind: 'whole'; content: Buffer }
  /** A file smaller than `streamFrom`, copied where the consumer wants it. */
  | { entry: ExportEntry; kind: 'blob'; size: number; readInto(target: Uint8Array, offset: number): Promise<void> }
  /** A larger file, in chunks of STREAM_CHUNK bytes. */
  | { entry: ExportEntry; kind: 'chunks'; chunks: AsyncIterable<Buffer> }
  /** With `smallBlobs: 'unread'`: a file smaller than `streamFrom` that git does not convert, for the consumer to read by its oid. */
  | { entry: ExportEntry; kind: 'unread'; size: number };

export interface ExportContentsOptions {
  /** Files from this size on come in chunks. */
  streamFrom: number;
  /** `unread` leaves small files that need no conversion to the consumer (who reads them elsewhere); default `read`. */
  smallBlobs?: 'read' | 'unread';
  /** Stops waiting for a `chunks` item to be read (its consumer failed). */
  signal?: AbortSignal;
}

/** Waits for `promise` unless `signal` aborts first. */
function unlessAborted(promise: Promise<void> | undefined, signal: AbortSignal | undefined): Promise<void> | undefined {
  if (!promise || !signal) return promise;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/**
 * The entries of a plan with their bytes as `git archive` writes them. One `git cat-file --batch`
 * serves them all, read at the consumer's pace, so memory does not depend on the files' sizes.
 */
export async function* exportContents(
  plan: ExportPlan,
  git: GitContext,
  { streamFrom, smallBlobs = 'read', signal }: ExportContentsOptions,
): AsyncGenerator<ExportedContent> {
  const leftUnread = (e: ExportEntry) => smallBlobs === 'unread' && !e.conversion && e.size < streamFrom;
  const files = plan.entries.filter((e) => (e.kind === 'file' || e.kind === 'executable') && !leftUnread(e));
  // No git process when every file is left to the consumer.
  let started: BlobReader | undefined;
  const reader = () => {
    started ??= new BlobReader(git);
    return started;
  };
  const expander = new SubstExpander(git, plan.commit.commit);
  // A `chunks` item may be read after the next items are produced (they are written later): the
  // reader moves on to another object only once its chunks have all been read.
  let streaming: Promise<void> | undefined;
  const chunksOf = (size: number): AsyncIterable<Buffer> => {
    const chunks = reader().readChunks(size, STREAM_CHUNK);
    let done!: () => void;
    streaming = new Promise((resolve) => {
      done = resolve;
    });
    return {
      async *[Symbol.asyncIterator]() {
        try {
          yield* chunks;
        } finally {
          done();
        }
      },
    };
  };
  try {
    if (files.length > 0) reader().request(files.map((e) => e.oid));
    for (const entry of plan.entries) {
      if (entry.kind === 'directory') {
        yield { entry, kind: 'directory' };
        continue;
      }
      if (entry.kind === 'symlink') {
        yield { entry, kind: 'whole', content: plan.symlinkTargets.get(entry.path)! };
        continue;
      }
      if (leftUnread(entry)) {
        yield { entry, kind: 'unread', size: entry.size };
        continue;
      }
      await unlessAborted(streaming, signal);
      const { size } = await reader().next(entry.oid);
      const conversion = entry.conversion;
      if (conversion) {
        // git converts in this order: ident, end of lines, then export-subst on the result.
        let content = await reader().readAll(size);
        if (conversion.ident) content = expandIdent(content, entry.oid);
        if (conversion.crlf) content = convertToCrlf(content, conversion.crlf);
        if (conversion.subst) {
          const placeholders = findSubstPlaceholders(content);
          const expansions: Buffer[] = [];
          for (const p of placeholders) expansions.push(await expander.expand(entry.path, p.format));
          content = substitute(content, placeholders, expansions);
        }
        yield { entry, kind: 'whole', content };
      } else if (size < streamFrom) {
        yield { entry, kind: 'blob', size, readInto: (target, offset) => reader().readInto(size, target, offset) };
      } else {
        yield { entry, kind: 'chunks', chunks: chunksOf(size) };
      }
    }
    await unlessAborted(streaming, signal);
  } finally {
    await started?.close();
  }
}
