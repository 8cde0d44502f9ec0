import { WM_PATHNAME, wildmatch } from './wildmatch.js';

/**
 * `.gitattributes` as `git archive` (git 2.39) reads them from the tree being archived: every
 * pattern form git supports, nested files, macros, and git's precedence rules, ported from attr.c
 * and dir.c. Only files in the tree count: `$GIT_DIR/info/attributes`, core.attributesFile and
 * /etc/gitattributes belong to one machine, and a release must not depend on the machine.
 *
 * Contents, patterns and paths are raw bytes held as Latin-1 strings (one character per byte).
 */

/** `true` (set), `false` (`-attr`), `null` (unspecified, also `!attr`) or a string value (`attr=value`). */
export type AttributeValue = boolean | null | string;

interface AttributeState {
  name: string;
  value: AttributeValue;
}

const PATTERN_NODIR = 1;
const PATTERN_ENDSWITH = 4;
const PATTERN_MUSTBEDIR = 8;

interface Pattern {
  text: string;
  /** Length of the literal prefix (git's `nowildcardlen`). */
  literal: number;
  flags: number;
  /** `text` without its leading '/' (an anchored pattern), or `text`. */
  unanchored: string;
  /** `text` without its first character: what a name ends with for a PATTERN_ENDSWITH pattern ("*.md"). */
  suffix: string;
}

interface Rule {
  pattern: Pattern;
  states: AttributeState[];
}

interface Macro {
  name: string;
  states: AttributeState[];
}

export interface AttributesFile {
  rules: Rule[];
  macros: Macro[];
}

/** git ignores longer lines and bigger files (a 2.39 security fix); so do we, the same way: silently. */
const MAX_LINE_LENGTH = 2048;
export const MAX_ATTRIBUTES_FILE_SIZE = 100 * 1024 * 1024;
const MACRO_PREFIX = '[attr]';
const GLOB_SPECIAL = /[*?[\\]/;

const isBlank = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

function skipBlanks(line: string, i: number): number {
  while (i < line.length && isBlank(line.charCodeAt(i))) i++;
  return i;
}

function skipNonBlanks(line: string, i: number): number {
  while (i < line.length && !isBlank(line.charCodeAt(i))) i++;
  return i;
}

/** Attribute names: `[-A-Za-z0-9_.]+`, not starting with `-`. */
const isValidName = (name: string) => /^[A-Za-z0-9_.][-A-Za-z0-9_.]*$/.test(name);

/** The states of a line (`attr`, `-attr`, `!attr`, `attr=value`), or undefined when one is invalid (git drops the line). */
function parseStates(line: string, start: number): AttributeState[] | undefined {
  const states: AttributeState[] = [];
  let cp = start;
  while (cp < line.length) {
    const end = skipNonBlanks(line, cp);
    // git looks for '=' in the rest of the line and ignores one beyond this token.
    let equals = line.indexOf('=', cp);
    if (equals > end) equals = -1;
    let nameStart = cp;
    let value: AttributeValue;
    if (line[cp] === '-' || line[cp] === '!') {
      value = line[cp] === '-' ? false : null;
      nameStart += 1;
    } else {
      value = equals === -1 ? true : line.slice(equals + 1, end);
    }
    const name = line.slice(nameStart, Math.max(nameStart, equals === -1 ? end : equals));
    if (!isValidName(name)) return undefined;
    states.push({ name, value });
    cp = skipBlanks(line, end);
  }
  return states;
}

const C_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** git's unquote_c_style: the unquoted pattern and where the quoted string ended, or undefined. */
function unquoteC(line: string, start: number): { text: string; end: number } | undefined {
  let out = '';
  let i = start + 1;
  for (;;) {
    const c = line[i++];
    if (c === undefined) return undefined;
    if (c === '"') return { text: out, end: i };
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = line[i++];
    if (e === undefined) return undefined;
    if (C_ESCAPES[e] !== undefined) out += C_ESCAPES[e];
    else if (e === '\\' || e === '"') out += e;
    else if (e >= '0' && e <= '3' && /^[0-7]{2}$/.test(line.slice(i, i + 2))) {
      out += String.fromCharCode(Number.parseInt(e + line.slice(i, i + 2), 8));
      i += 2;
    } else return undefined;
  }
}

/** dir.c's parse_path_pattern; undefined for negative patterns, which git ignores in attributes. */
function parsePattern(raw: string): Pattern | undefined {
  // A C string: a NUL from a quoted \000 ends the pattern.
  const nul = raw.indexOf('\0');
  const p = nul === -1 ? raw : raw.slice(0, nul);
  if (p.startsWith('!')) return undefined;
  let flags = 0;
  let len = p.length;
  if (p.endsWith('/')) {
    len -= 1;
    flags |= PATTERN_MUSTBEDIR;
  }
  if (p.lastIndexOf('/', len - 1) === -1 || len === 0) flags |= PATTERN_NODIR;
  // dir.c's simple_length: the characters before the first of `*`, `?`, `[` and `\`.
  const special = p.search(GLOB_SPECIAL);
  const literal = Math.min(special === -1 ? p.length : special, len);
  if (p.startsWith('*') && !GLOB_SPECIAL.test(p.slice(1))) flags |= PATTERN_ENDSWITH;
  const text = p.slice(0, len);
  return {
    text,
    literal,
    flags,
    unanchored: text.charCodeAt(0) === 0x2f ? text.slice(1) : text,
    suffix: text.slice(1),
  };
}

/** Parses one `.gitattributes` file; macros only count where git allows them (the top-level file). */
export function parseAttributesFile(content: Buffer, { macrosAllowed }: { macrosAllowed: boolean }): AttributesFile {
  const file: AttributesFile = { rules: [], macros: [] };
  if (content.length >= MAX_ATTRIBUTES_FILE_SIZE) return file;
  // git reads the blob as a C string: nothing after a NUL byte exists. (A UTF-8 BOM is only
  // stripped from files on disk, not from blobs, so a BOM stays part of the first pattern.)
  const nul = content.indexOf(0);
  const text = content.toString('latin1', 0, nul === -1 ? content.length : nul);
  for (const line of text.split('\n')) parseLine(line, macrosAllowed, file);
  return file;
}

function parseLine(line: string, macrosAllowed: boolean, file: AttributesFile): void {
  const cp = skipBlanks(line, 0);
  if (cp === line.length || line[cp] === '#') return;
  if (line.length >= MAX_LINE_LENGTH) return;
  let name: string;
  let statesStart: number;
  const quoted = line[cp] === '"' ? unquoteC(line, cp) : undefined;
  if (quoted) {
    name = quoted.text;
    statesStart = quoted.end;
  } else {
    const end = skipNonBlanks(line, cp);
    name = line.slice(cp, end);
    statesStart = end;
  }
  const states = parseStates(line, skipBlanks(line, statesStart));
  if (name.length > MACRO_PREFIX.length && name.startsWith(MACRO_PREFIX)) {
    if (!macrosAllowed) return;
    const rest = name.slice(skipBlanks(name, MACRO_PREFIX.length));
    const macroName = rest.slice(0, skipNonBlanks(rest, 0));
    if (isValidName(macroName) && states) file.macros.push({ name: macroName, states });
    return;
  }
  const pattern = parsePattern(name);
  if (states && pattern) file.rules.push({ pattern, states });
}

function matchBasename(basename: string, pattern: Pattern): boolean {
  const { text, literal, flags } = pattern;
  if (literal === text.length) return text === basename;
  if (flags & PATTERN_ENDSWITH) return basename.endsWith(pattern.suffix);
  return wildmatch(text, basename, 0);
}

function matchPathname(path: string, base: string, pattern: Pattern): boolean {
  let text = pattern.text;
  let literal = pattern.literal;
  const anchored = text.charCodeAt(0) === 0x2f;
  if (path.length < base.length + 1 || (base.length > 0 && path[base.length] !== '/') || !path.startsWith(base)) {
    return false;
  }
  const nameStart = base.length > 0 ? base.length + 1 : 0;
  // A pattern without wildcards (most are, like "/tests"): the name must be it, compared in place.
  if (literal === text.length) {
    return path.length - nameStart === pattern.unanchored.length && path.startsWith(pattern.unanchored, nameStart);
  }
  if (anchored) {
    text = text.slice(1);
    literal -= 1;
  }
  let name = nameStart > 0 ? path.slice(nameStart) : path;
  if (literal > 0) {
    if (literal > name.length || !name.startsWith(text.slice(0, literal))) return false;
    text = text.slice(literal);
    name = name.slice(literal);
    if (text.length === 0 && name.length === 0) return true;
  }
  return wildmatch(text, name, WM_PATHNAME);
}

/** attr.c's path_matches: `path` ends with '/' for directories. */
function pathMatches(path: string, basenameOffset: number, pattern: Pattern, base: string): boolean {
  const isDir = path.endsWith('/');
  if (pattern.flags & PATTERN_MUSTBEDIR && !isDir) return false;
  const withoutSlash = isDir ? path.slice(0, -1) : path;
  if (pattern.flags & PATTERN_NODIR) return matchBasename(withoutSlash.slice(basenameOffset), pattern);
  return matchPathname(withoutSlash, base, pattern);
}

/** attr.c's builtin_attr, read as git reads it. */
const BUILTIN_MACROS = parseAttributesFile(Buffer.from('[attr]binary -diff -merge -text'), {
  macrosAllowed: true,
}).macros;

/**
 * Answers "what are the attributes of this path" for one tree. Built from the `.gitattributes`
 * files of the tree, keyed by the directory that holds them ('' for the top level).
 */
export class AttributeResolver {
  /** The directories that have rules, deepest first (so an ancestor comes after its descendants). */
  readonly #frames: ReadonlyArray<{ base: string; rules: Rule[] }>;
  readonly #macros = new Map<string, AttributeState[]>();

  constructor(files: ReadonlyMap<string, AttributesFile>) {
    this.#frames = [...files]
      .filter(([, file]) => file.rules.length > 0)
      .map(([base, file]) => ({ base, rules: file.rules }))
      .sort((a, b) => b.base.length - a.base.length);
    // Only the top-level file may define macros; later definitions win, and they override the builtin ones.
    for (const macro of [...BUILTIN_MACROS, ...(files.get('')?.macros ?? [])]) {
      this.#macros.set(macro.name, macro.states);
    }
  }

  /** True when no `.gitattributes` file has a rule: every lookup answers "unspecified". */
  get isEmpty(): boolean {
    return this.#frames.length === 0;
  }

  /**
   * The values of `names` for `path` (a Latin-1 byte string; a directory ends with '/'), with
   * git's precedence: deeper files over shallower ones, later lines over earlier ones, and in a
   * line later states over earlier ones; macros expand where they are set. A new record each time.
   */
  lookup<N extends string>(path: string, names: readonly N[]): Readonly<Record<N, AttributeValue>> {
    const lastSlash = path.lastIndexOf('/', path.length - 2);
    const basenameOffset = lastSlash + 1;
    const found = new Map<string, AttributeValue>();
    const wanted = new Set<string>(names);
    let remaining = wanted.size;
    /** Sets the states not set yet, last first; a macro set to true sets its own states next. */
    const fill = (states: readonly AttributeState[]) => {
      for (let i = states.length - 1; i >= 0 && remaining > 0; i--) {
        const state = states[i]!;
        if (found.has(state.name)) continue;
        found.set(state.name, state.value);
        if (wanted.has(state.name)) remaining -= 1;
        const macro = state.value === true ? this.#macros.get(state.name) : undefined;
        if (macro) fill(macro);
      }
    };
    // From the deepest directory's file up to the top-level one: the files of the directories
    // that hold `path` (few trees have more than one or two, so they are scanned, not looked up).
    for (const { base, rules } of this.#frames) {
      if (remaining === 0) break;
      const holds =
        base.length === 0 ||
        (lastSlash >= base.length && path.charCodeAt(base.length) === 0x2f && path.startsWith(base));
      if (!holds) continue;
      for (let r = rules.length - 1; r >= 0 && remaining > 0; r--) {
        if (pathMatches(path, basenameOffset, rules[r]!.pattern, base)) fill(rules[r]!.states);
      }
    }
    const result = {} as Record<N, AttributeValue>;
    for (const name of names) result[name] = found.get(name) ?? null;
    return result;
  }
}
