import { PhpublishError } from '../errors/index.js';
import type { GitContext } from '../git/context.js';
import { gitComplaint, runGit } from '../git/run.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Expands `$Format:…$` placeholders of `export-subst` files as `git archive` does: git itself
 * formats each distinct format string with `git log`, with the settings `git archive` uses
 * (default dates, no colour, no notes, no mailmap rewriting, UTF-8 output), and one
 * `%(describe)` per archive, as git limits it; later ones stay literal, as they do in git.
 */
export class SubstExpander {
  readonly #git: GitContext;
  readonly #commit: string;
  readonly #cache = new Map<string, Promise<Buffer>>();
  #describeLeft = 1;

  constructor(git: GitContext, commit: string) {
    this.#git = git;
    this.#commit = commit;
  }

  async expand(path: string, rawFormat: Buffer): Promise<Buffer> {
    // git reads the format as a C string: it ends at a NUL byte.
    const nul = rawFormat.indexOf(0);
    let format: string;
    try {
      format = utf8.decode(nul === -1 ? rawFormat : rawFormat.subarray(0, nul));
    } catch {
      throw new PhpublishError('ARCHIVE_ATTRIBUTE_UNSUPPORTED', {
        path,
        attribute: 'export-subst',
        problem: 'a $Format:…$ placeholder is not valid UTF-8, so it cannot be handed to git to expand',
      });
    }
    const budgeted = this.#spendDescribes(format);
    let expansion = this.#cache.get(budgeted);
    if (!expansion) {
      expansion = this.#format(budgeted);
      this.#cache.set(budgeted, expansion);
    }
    return expansion;
  }

  /** Rewrites `%(describe…)` beyond the archive's one into what git then prints: the literal text. */
  #spendDescribes(format: string): string {
    // `%%` is kept whole, so that its second '%' does not start a placeholder.
    return format.replace(/%(%|[-+ ]?(?=\(describe))/g, (placeholder, rest: string) => {
      if (rest === '%') return placeholder;
      if (this.#describeLeft > 0) {
        this.#describeLeft -= 1;
        return placeholder;
      }
      // Without a magic prefix git prints the '%'; with one, it swallows '%' and the prefix.
      return rest === '' ? '%%' : '';
    });
  }

  async #format(format: string): Promise<Buffer> {
    const args = [
      'log',
      '-1',
      '--no-show-signature',
      '--no-notes',
      '--no-use-mailmap',
      '--no-color',
      '--date=default',
      '--encoding=UTF-8',
      `--format=tformat:${format}`,
      '--end-of-options',
      this.#commit,
    ];
    const result = await runGit(args, this.#git);
    if (result.exitCode !== 0) {
      throw new PhpublishError('ARCHIVE_GIT_FAILED', { command: 'log --format', problem: gitComplaint(result) });
    }
    // tformat ends the output with a newline, except for an empty format.
    const out = result.stdout;
    return out.length > 0 && out[out.length - 1] === 0x0a ? out.subarray(0, out.length - 1) : out;
  }
}
