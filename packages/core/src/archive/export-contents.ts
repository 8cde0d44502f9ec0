import { convertToCrlf, expandIdent, findSubstPlaceholders, substitute } from './conversions.js';
import type { ExportEntry, ExportPlan } from './export-plan.js';
import { SubstExpander } from './export-subst.js';
import { BlobReader, type GitContext } from './git-objects.js';

/** Streamed files come in chunks of exactly this size (the last one shorter), so that deflate always sees the same input. */
export const STREAM_CHUNK = 256 * 1024;

/** A regular file with its bytes; read a `chunks` item completely before asking for the next. */
export type FileContent =
  /** A converted file, in memory. */
  | { entry: ExportEntry; kind: 'whole'; content: Buffer }
  /** A file git exports as it is stored, in chunks of STREAM_CHUNK bytes. */
  | { entry: ExportEntry; kind: 'chunks'; chunks: AsyncIterable<Buffer> };

export interface ReadFilesOptions {
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

export const isRegularFile = (entry: ExportEntry) => entry.kind === 'file' || entry.kind === 'executable';

/**
 * The bytes of `files` (regular files of the plan, in the plan's order) as `git archive` writes
 * them, from one `git cat-file --batch` (started only when there is a file to read).
 */
export async function* readFiles(
  plan: ExportPlan,
  git: GitContext,
  files: readonly ExportEntry[],
  { signal }: ReadFilesOptions = {},
): AsyncGenerator<FileContent> {
  if (files.length === 0) return;
  const reader = new BlobReader(git);
  const expander = new SubstExpander(git, plan.commit.commit);
  // A `chunks` item may be read after the next items are produced (they are written later): the
  // reader moves on to another object only once its chunks have all been read.
  let streaming: Promise<void> | undefined;
  const chunksOf = (size: number): AsyncIterable<Buffer> => {
    const chunks = reader.readChunks(size, STREAM_CHUNK);
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
    reader.request(files.map((e) => e.oid));
    for (const entry of files) {
      await unlessAborted(streaming, signal);
      const { size } = await reader.next(entry.oid);
      const conversion = entry.conversion;
      if (conversion) {
        // git converts in this order: ident, end of lines, then export-subst on the result.
        let content = await reader.readAll(size);
        if (conversion.ident) content = expandIdent(content, entry.oid);
        if (conversion.crlf) content = convertToCrlf(content, conversion.crlf);
        if (conversion.subst) {
          const placeholders = findSubstPlaceholders(content);
          const expansions: Buffer[] = [];
          for (const p of placeholders) expansions.push(await expander.expand(entry.path, p.format));
          content = substitute(content, placeholders, expansions);
        }
        yield { entry, kind: 'whole', content };
      } else {
        yield { entry, kind: 'chunks', chunks: chunksOf(size) };
      }
    }
    await unlessAborted(streaming, signal);
  } finally {
    await reader.close();
  }
}
