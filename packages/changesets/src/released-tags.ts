// What changesets says it released. @changesets/cli 3 writes NDJSON events to the file named by
// CHANGESETS_OUTPUT (or --output); @changesets/cli 2 prints `🦋  New tag:  <tag>` lines on stdout
// (`changeset tag`, `changeset publish`). Both can be read from one file, line by line.
import { PhpublishError } from '@phpublish/core';
import {
  INPUT_LIMITS,
  InputFileProblem,
  parseStrictJson,
  readInputText,
  StrictJsonProblem,
} from '@phpublish/core/input';

/** A tag changesets created, and the package.json name it belongs to when changesets said so. */
export interface ReleasedTag {
  tag: string;
  /** From v3's events; v2's lines say only the tag (see `packageNameOfTag`). */
  packageName?: string;
}

/** v2's line, as changesets/action v1 also reads it: the emoji and the spacing vary, the words do not. */
const NEW_TAG_LINE = /\bNew tag:\s+(\S+)\s*$/;

/**
 * The tags a changesets output names, in order, each once. Lines that are neither a v3 event nor
 * v2's `New tag:` (log lines, "Skipping tag (already exists)", other event types) are ignored.
 * `source` names the output in errors.
 */
export function parseChangesetsOutput(text: string, source: string): ReleasedTag[] {
  const tags = new Map<string, ReleasedTag>();
  const lines = text.split(/\r?\n/);
  for (const [index, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    const released = /^[[{]/.test(line) ? eventOf(line, source, index + 1) : newTagOf(line, source, index + 1);
    if (released && !tags.has(released.tag)) tags.set(released.tag, released);
  }
  return [...tags.values()];
}

/** `name@1.2.3` → `name` (scoped names keep their leading `@`); `v1.2.3` (a single package's tag) → undefined. */
export function packageNameOfTag(tag: string): string | undefined {
  const at = tag.lastIndexOf('@');
  return at > 0 ? tag.slice(0, at) : undefined;
}

/**
 * Reads and parses a changesets output file (at most INPUT_LIMITS.small, a regular file). With
 * `missing: 'undefined'`, a file that does not exist gives undefined: changesets writes it only
 * when it has something to say.
 */
export async function readChangesetsOutputFile(path: string): Promise<ReleasedTag[]>;
export async function readChangesetsOutputFile(
  path: string,
  options: { missing: 'undefined' },
): Promise<ReleasedTag[] | undefined>;
export async function readChangesetsOutputFile(
  path: string,
  options: { missing?: 'undefined' } = {},
): Promise<ReleasedTag[] | undefined> {
  let text: string;
  try {
    text = await readInputText(path, { maxBytes: INPUT_LIMITS.small });
  } catch (error) {
    if (!(error instanceof InputFileProblem)) throw error;
    if (error.errno === 'ENOENT' && options.missing === 'undefined') return undefined;
    throw new PhpublishError('CHANGESETS_OUTPUT_UNREADABLE', { path, problem: `it ${error.message}` });
  }
  return parseChangesetsOutput(text, path);
}

function eventOf(line: string, source: string, lineNumber: number): ReleasedTag | undefined {
  let event: unknown;
  try {
    event = parseStrictJson(line);
  } catch (error) {
    if (!(error instanceof StrictJsonProblem)) throw error;
    throw malformed(source, lineNumber, `is not a JSON event (${error.message})`);
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw malformed(source, lineNumber, 'is not a JSON object');
  }
  const { type, tag, packageName } = event as Record<string, unknown>;
  if (type !== 'git-tag') return undefined; // other events (publish, pack…) say nothing about tags
  if (typeof tag !== 'string' || typeof packageName !== 'string' || packageName === '') {
    throw malformed(source, lineNumber, 'is a git-tag event without a "tag" and a "packageName" string');
  }
  return { tag: checkedTag(tag, source, lineNumber), packageName };
}

function newTagOf(line: string, source: string, lineNumber: number): ReleasedTag | undefined {
  const tag = NEW_TAG_LINE.exec(line)?.[1];
  return tag === undefined ? undefined : { tag: checkedTag(tag, source, lineNumber) };
}

/**
 * The tag reaches git as an argument: refuse what git would read as an option or what no tag can be
 * (git's check-ref-format runs later too, on the name actually tagged).
 */
function checkedTag(tag: string, source: string, lineNumber: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (tag === '' || tag.startsWith('-') || /[\s\u0000-\u001f\u007f~^:?*[\\]|\.\.|@\{/.test(tag)) {
    throw malformed(source, lineNumber, `names ${JSON.stringify(tag)}, which cannot be a git tag`);
  }
  return tag;
}

function malformed(path: string, line: number, problem: string): PhpublishError {
  return new PhpublishError('CHANGESETS_OUTPUT_MALFORMED', { path, line, problem });
}
