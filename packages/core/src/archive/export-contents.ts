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
 * The files git converts, as `git archive` writes them, each whole in memory (large files that git
 * exports as they are stored go through the spill files instead), from one `git cat-file --batch`
 * started when the first is wanted: `want` asks git for files as soon as they are known, `next`
 * reads them back in that order.
 */
export class ConvertedFiles {
  readonly #git: GitContext;
  readonly #commit: string;
  #reader: BlobReader | undefined;
  #expander: SubstExpander | undefined;
  readonly #wanted: ExportEntry[] = [];
  #next = 0;

  constructor(commit: string, git: GitContext) {
    this.#commit = commit;
    this.#git = git;
  }

  want(files: readonly ExportEntry[]): void {
    if (files.length === 0) return;
    this.#reader ??= new BlobReader(this.#git);
    this.#reader.request(files.map((e) => e.oid));
    this.#wanted.push(...files);
  }

  /** The next file wanted, converted. */
  async next(): Promise<FileContent> {
    const entry = this.#wanted[this.#next];
    if (!entry || !this.#reader) throw new Error('no converted file is wanted');
    this.#wanted[this.#next++] = undefined as unknown as ExportEntry;
    const reader = this.#reader;
    const { size } = await reader.next(entry.oid);
    let content = await reader.readAll(size);
    const conversion = entry.conversion;
    if (conversion) {
      // git converts in this order: ident, end of lines, then export-subst on the result.
      if (conversion.ident) content = expandIdent(content, entry.oid);
      if (conversion.crlf) content = convertToCrlf(content, conversion.crlf);
      if (conversion.subst) {
        this.#expander ??= new SubstExpander(this.#git, this.#commit);
        const placeholders = findSubstPlaceholders(content);
        const expansions: Buffer[] = [];
        for (const p of placeholders) expansions.push(await this.#expander.expand(entry.path, p.format));
        content = substitute(content, placeholders, expansions);
      }
    }
    return { entry, content };
  }

  /** Stops git (also with files wanted and not read, after a failure). */
  async close(): Promise<void> {
    await this.#reader?.close();
  }
}

/** `files` (regular files of the plan, in the plan's order) as ConvertedFiles gives them. */
export async function* readFiles(
  plan: ExportPlan,
  git: GitContext,
  files: readonly ExportEntry[],
): AsyncGenerator<FileContent> {
  const converted = new ConvertedFiles(plan.commit.commit, git);
  try {
    converted.want(files);
    for (let i = 0; i < files.length; i++) yield await converted.next();
  } finally {
    await converted.close();
  }
}
