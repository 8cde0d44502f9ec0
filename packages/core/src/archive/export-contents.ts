import { CatFileBatch } from '../git/batch.js';
import type { GitContext } from '../git/context.js';
import { convertToCrlf, expandIdent, findSubstPlaceholders, substitute } from './conversions.js';
import type { ExportEntry, ExportPlan } from './export-plan.js';
import { SubstExpander } from './export-subst.js';

/** Large files are read, hashed and deflated in pieces of exactly this size (the last one shorter), so that deflate always sees the same input. */
export const STREAM_CHUNK = 256 * 1024;

/**
 * How `git archive` converts the bytes of a file it converts: ident, end of lines, then
 * export-subst on the result (git's order). `expander` is asked for only for export-subst files.
 */
export async function convertContent(
  entry: ExportEntry,
  content: Buffer,
  expander: () => SubstExpander,
): Promise<Buffer> {
  const conversion = entry.conversion;
  if (!conversion) return content;
  if (conversion.ident) content = expandIdent(content, entry.oid);
  if (conversion.crlf) content = convertToCrlf(content, conversion.crlf);
  if (conversion.subst) {
    const placeholders = findSubstPlaceholders(content);
    const expansions: Buffer[] = [];
    for (const p of placeholders) expansions.push(await expander().expand(entry.path, p.format));
    content = substitute(content, placeholders, expansions);
  }
  return content;
}

/** A regular file with its bytes as `git archive` writes them. */
export interface FileContent {
  entry: ExportEntry;
  content: Buffer;
}

/** `files` (regular files of the plan, in the plan's order), each whole and converted, from one `git cat-file --batch`. */
export async function* readFiles(
  plan: ExportPlan,
  git: GitContext,
  files: readonly ExportEntry[],
): AsyncGenerator<FileContent> {
  if (files.length === 0) return;
  const reader = new CatFileBatch(git, { packLimits: true });
  let expander: SubstExpander | undefined;
  const expand = () => (expander ??= new SubstExpander(git, plan.commit.commit));
  try {
    reader.request(files.map((entry) => entry.oid));
    for (const entry of files) {
      const { size } = await reader.nextOf(entry.oid);
      yield { entry, content: await convertContent(entry, await reader.content(size), expand) };
    }
  } finally {
    await reader.close();
  }
}
