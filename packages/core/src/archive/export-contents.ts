import { convertToCrlf, expandIdent, findSubstPlaceholders, substitute } from './conversions.js';
import type { ExportEntry, ExportPlan } from './export-plan.js';
import { SubstExpander } from './export-subst.js';
import { BlobReader, type GitContext } from './git-objects.js';

/** Streamed files come in chunks of exactly this size (the last one shorter), so that deflate always sees the same input. */
export const STREAM_CHUNK = 256 * 1024;

/** A regular file with its bytes; read a `blob` or `chunks` item completely before asking for the next. */
export type FileContent =
  /** A converted file, in memory. */
  | { entry: ExportEntry; kind: 'whole'; content: Buffer }
  /** A file smaller than `streamFrom`, copied where the consumer wants it. */
  | { entry: ExportEntry; kind: 'blob'; size: number; readInto(target: Uint8Array, offset: number): Promise<void> }
  /** A larger file, in chunks of STREAM_CHUNK bytes. */
  | { entry: ExportEntry; kind: 'chunks'; chunks: AsyncIterable<Buffer> };

/** One entry with its bytes: directories, symlink targets and files. */
export type ExportedContent =
  | { entry: ExportEntry; kind: 'directory' }
  /** Symlink targets (and converted files), in memory. */
  | { entry: ExportEntry; kind: 'whole'; content: Buffer }
  | FileContent;

export interface ReadFilesOptions {
  /** Files from this size on come in chunks. */
  streamFrom: number;
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
  options: ReadFilesOptions,
): AsyncGenerator<ExportedContent> {
  const files = readFiles(plan, git, plan.entries.filter(isRegularFile), options);
  try {
    for (const entry of plan.entries) {
      if (entry.kind === 'directory') yield { entry, kind: 'directory' };
      else if (entry.kind === 'symlink') yield { entry, kind: 'whole', content: plan.symlinkTargets.get(entry.path)! };
      else yield (await files.next()).value as FileContent;
    }
  } finally {
    await files.return(undefined);
  }
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
  { streamFrom, signal }: ReadFilesOptions,
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
      } else if (size < streamFrom) {
        yield { entry, kind: 'blob', size, readInto: (target, offset) => reader.readInto(size, target, offset) };
      } else {
        yield { entry, kind: 'chunks', chunks: chunksOf(size) };
      }
    }
    await unlessAborted(streaming, signal);
  } finally {
    await reader.close();
  }
}
