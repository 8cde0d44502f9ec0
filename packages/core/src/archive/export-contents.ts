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
  | { entry: ExportEntry; kind: 'chunks'; chunks: AsyncIterable<Buffer> };

/**
 * The entries of a plan with their bytes as `git archive` writes them. One `git cat-file --batch`
 * serves them all, read at the consumer's pace, so memory does not depend on the files' sizes.
 */
export async function* exportContents(
  plan: ExportPlan,
  git: GitContext,
  { streamFrom }: { streamFrom: number },
): AsyncGenerator<ExportedContent> {
  const files = plan.entries.filter((e) => e.kind === 'file' || e.kind === 'executable');
  const reader = new BlobReader(git);
  const expander = new SubstExpander(git, plan.commit.commit);
  try {
    reader.request(files.map((e) => e.oid));
    for (const entry of plan.entries) {
      if (entry.kind === 'directory') {
        yield { entry, kind: 'directory' };
        continue;
      }
      if (entry.kind === 'symlink') {
        yield { entry, kind: 'whole', content: plan.symlinkTargets.get(entry.path)! };
        continue;
      }
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
        yield { entry, kind: 'chunks', chunks: reader.readChunks(size, STREAM_CHUNK) };
      }
    }
  } finally {
    await reader.close();
  }
}
