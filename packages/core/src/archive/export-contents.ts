import { convertToCrlf, expandIdent, findSubstPlaceholders, substitute } from './conversions.js';
import type { ExportEntry, ExportPlan } from './export-plan.js';
import { SubstExpander } from './export-subst.js';
import { BlobReader, type GitContext } from './git-objects.js';

/** Streamed files come in chunks of exactly this size (the last one shorter), so that deflate always sees the same input. */
export const STREAM_CHUNK = 256 * 1024;

/** A regular file with its bytes as `git archive` writes them. */
export interface FileContent {
  entry: ExportEntry;
  content: Buffer;
}

/**
 * The bytes of `files` (regular files of the plan, in the plan's order) as `git archive` writes
 * them, each whole in memory (for the files git converts; large files that git exports as they are
 * stored go through the spill files instead), from one `git cat-file --batch` (started only when
 * there is a file to read).
 */
export async function* readFiles(
  plan: ExportPlan,
  git: GitContext,
  files: readonly ExportEntry[],
): AsyncGenerator<FileContent> {
  if (files.length === 0) return;
  const reader = new BlobReader(git);
  const expander = new SubstExpander(git, plan.commit.commit);
  try {
    reader.request(files.map((e) => e.oid));
    for (const entry of files) {
      const { size } = await reader.next(entry.oid);
      let content = await reader.readAll(size);
      const conversion = entry.conversion;
      if (conversion) {
        // git converts in this order: ident, end of lines, then export-subst on the result.
        if (conversion.ident) content = expandIdent(content, entry.oid);
        if (conversion.crlf) content = convertToCrlf(content, conversion.crlf);
        if (conversion.subst) {
          const placeholders = findSubstPlaceholders(content);
          const expansions: Buffer[] = [];
          for (const p of placeholders) expansions.push(await expander.expand(entry.path, p.format));
          content = substitute(content, placeholders, expansions);
        }
      }
      yield { entry, content };
    }
  } finally {
    await reader.close();
  }
}
