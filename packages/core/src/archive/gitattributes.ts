import { isGlobSpecial, WM_PATHNAME, wildmatch } from './wildmatch.js';

/**
 * `.gitattributes` as `git archive` (git 2.39) reads them from the tree being archived: every
 * pattern form git supports, nested files, macros, and git's precedence rules, ported from attr.c
 * and dir.c. Only files in the tree count: `$GIT_DIR/info/attributes`, core.attributesFile and
 * /etc/gitattributes belong to one machine, and a release must not depend on the machine.
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
  bytes: Uint8Array;
  /** Length of the literal prefix (git's `nowildcardlen`). */
  literal: number;
  flags: number;
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

/** git refuses longer lines and bigger files (a 2.39 security fix); so do we, the same way: silently. */
const MAX_LINE_LENGTH = 2048;
export const MAX_ATTRIBUTES_FILE_SIZE = 100 * 1024 * 1024;
const MACRO_PREFIX = Buffer.from('[attr]');
const BUILTIN_MACROS: Macro[] = [
  {
    name: 'binary',
    states: [
      { name: 'diff', value: false },
      { name: 'merge', value: false },
      { name: 'text', value: false },
    ],
  },
];

const isBlank = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

function skipBlanks(line: Uint8Array, i: number): number {
  while (i < line.length && isBlank(line[i])) i++;
  return i;
}

function skipNonBlanks(line: Uint8Array, i: number): number {
  while (i < line.length && !isBlank(line[i])) i++;
  return i;
}

/** Attribute names: `[-A-Za-z0-9_.]+`, not starting with `-`. */
function isValidName(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes[0] === 0x2d) return false;
  for (const c of bytes) {
    const ok =
      c === 0x2d ||
      c === 0x2e ||
      c === 0x5f ||
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a);
    if (!ok) return false;
  }
  return true;
}

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');

/** The states of a line (`attr`, `-attr`, `!attr`, `attr=value`), or undefined when one is invalid (git drops the line). */
function parseStates(line: Uint8Array, start: number): AttributeState[] | undefined {
  const states: AttributeState[] = [];
  let cp = start;
  while (cp < line.length) {
    const end = skipNonBlanks(line, cp);
    // git looks for '=' in the rest of the line and ignores it when it lies beyond this token.
    let equals = line.indexOf(0x3d, cp);
    if (equals === -1 || equals > end) equals = -1;
    let nameStart = cp;
    let nameEnd = equals === -1 ? end : equals;
    let value: AttributeValue;
    if (line[cp] === 0x2d || line[cp] === 0x21) {
      value = line[cp] === 0x2d ? false : null;
      nameStart += 1;
    } else {
      value = equals === -1 ? true : latin1(line.subarray(equals + 1, end));
    }
    if (nameEnd < nameStart) nameEnd = nameStart;
    const name = line.subarray(nameStart, nameEnd);
    if (!isValidName(name)) return undefined;
    states.push({ name: latin1(name), value });
    cp = skipBlanks(line, end);
  }
  return states;
}

/** git's unquote_c_style: the unquoted bytes and where the quoted string ended, or undefined. */
function unquoteC(line: Uint8Array, start: number): { bytes: Uint8Array; end: number } | undefined {
  const out: number[] = [];
  let i = start + 1;
  for (;;) {
    const c = line[i++];
    if (c === undefined) return undefined;
    if (c === 0x22) return { bytes: Uint8Array.from(out), end: i };
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    const e = line[i++];
    const simple: Record<number, number> = { 0x61: 7, 0x62: 8, 0x66: 12, 0x6e: 10, 0x72: 13, 0x74: 9, 0x76: 11 };
    if (e === undefined) return undefined;
    if (simple[e] !== undefined) out.push(simple[e]);
    else if (e === 0x5c || e === 0x22) out.push(e);
    else if (e >= 0x30 && e <= 0x33) {
      const d1 = line[i++];
      const d2 = line[i++];
      if (d1 === undefined || d2 === undefined || d1 < 0x30 || d1 > 0x37 || d2 < 0x30 || d2 > 0x37) return undefined;
      out.push(((e - 0x30) << 6) | ((d1 - 0x30) << 3) | (d2 - 0x30));
    } else return undefined;
  }
}

/** dir.c's parse_path_pattern; undefined for negative patterns, which git ignores in attributes. */
function parsePattern(raw: Uint8Array): Pattern | undefined {
  // A C string: a NUL from a quoted \000 ends the pattern.
  const nul = raw.indexOf(0);
  const p = nul === -1 ? raw : raw.subarray(0, nul);
  if (p[0] === 0x21) return undefined;
  let flags = 0;
  let len = p.length;
  if (len > 0 && p[len - 1] === 0x2f) {
    len -= 1;
    flags |= PATTERN_MUSTBEDIR;
  }
  if (p.subarray(0, len).indexOf(0x2f) === -1) flags |= PATTERN_NODIR;
  let literal = 0;
  while (literal < p.length && !isGlobSpecial(p[literal]!)) literal++;
  if (literal > len) literal = len;
  if (p[0] === 0x2a) {
    let rest = 1;
    while (rest < p.length && !isGlobSpecial(p[rest]!)) rest++;
    if (rest === p.length) flags |= PATTERN_ENDSWITH;
  }
  return { bytes: p.subarray(0, len), literal, flags };
}

/** Parses one `.gitattributes` file; macros only count where git allows them (the top-level file). */
export function parseAttributesFile(content: Uint8Array, { macrosAllowed }: { macrosAllowed: boolean }): AttributesFile {
  const file: AttributesFile = { rules: [], macros: [] };
  if (content.length >= MAX_ATTRIBUTES_FILE_SIZE) return file;
  // git reads the blob as a C string: nothing after a NUL byte exists. (A UTF-8 BOM is only
  // stripped from files on disk, not from blobs, so a BOM stays part of the first pattern.)
  const nul = content.indexOf(0);
  const text = nul === -1 ? content : content.subarray(0, nul);
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(0x0a, start);
    if (end === -1) end = text.length;
    parseLine(text.subarray(start, end), macrosAllowed, file);
    start = end + 1;
  }
  return file;
}

function parseLine(line: Uint8Array, macrosAllowed: boolean, file: AttributesFile): void {
  const cp = skipBlanks(line, 0);
  if (cp === line.length || line[cp] === 0x23) return;
  if (line.length >= MAX_LINE_LENGTH) return;
  let name: Uint8Array;
  let statesStart: number;
  const quoted = line[cp] === 0x22 ? unquoteC(line, cp) : undefined;
  if (quoted) {
    name = quoted.bytes;
    statesStart = quoted.end;
  } else {
    const end = skipNonBlanks(line, cp);
    name = line.subarray(cp, end);
    statesStart = end;
  }
  const isMacro = name.length > MACRO_PREFIX.length && Buffer.from(name.subarray(0, 6)).equals(MACRO_PREFIX);
  if (isMacro) {
    if (!macrosAllowed) return;
    const rest = name.subarray(skipBlanks(name, MACRO_PREFIX.length));
    const macroName = rest.subarray(0, skipNonBlanks(rest, 0));
    if (!isValidName(macroName)) return;
    const states = parseStates(line, skipBlanks(line, statesStart));
    if (states) file.macros.push({ name: latin1(macroName), states });
    return;
  }
  const states = parseStates(line, skipBlanks(line, statesStart));
  const pattern = parsePattern(name);
  if (states && pattern) file.rules.push({ pattern, states });
}

function bytesEqual(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

function matchBasename(basename: Uint8Array, pattern: Pattern): boolean {
  const { bytes, literal, flags } = pattern;
  if (literal === bytes.length) {
    return bytes.length === basename.length && bytesEqual(bytes, 0, basename, 0, bytes.length);
  }
  if (flags & PATTERN_ENDSWITH) {
    const suffix = bytes.length - 1;
    return suffix <= basename.length && bytesEqual(bytes, 1, basename, basename.length - suffix, suffix);
  }
  return wildmatch(bytes, basename, 0);
}

function matchPathname(path: Uint8Array, base: Uint8Array, pattern: Pattern): boolean {
  let bytes = pattern.bytes;
  let literal = pattern.literal;
  if (bytes[0] === 0x2f) {
    bytes = bytes.subarray(1);
    literal -= 1;
  }
  const baseLength = base.length;
  if (path.length < baseLength + 1 || (baseLength > 0 && path[baseLength] !== 0x2f)) return false;
  if (!bytesEqual(path, 0, base, 0, baseLength)) return false;
  let name = baseLength > 0 ? path.subarray(baseLength + 1) : path;
  if (literal > 0) {
    if (literal > name.length || !bytesEqual(bytes, 0, name, 0, literal)) return false;
    bytes = bytes.subarray(literal);
    name = name.subarray(literal);
    if (bytes.length === 0 && name.length === 0) return true;
  }
  return wildmatch(bytes, name, WM_PATHNAME);
}

/** attr.c's path_matches: `path` ends with '/' for directories. */
function pathMatches(path: Uint8Array, basenameOffset: number, pattern: Pattern, base: Uint8Array): boolean {
  const isDir = path.length > 0 && path[path.length - 1] === 0x2f;
  if (pattern.flags & PATTERN_MUSTBEDIR && !isDir) return false;
  const withoutSlash = isDir ? path.subarray(0, path.length - 1) : path;
  if (pattern.flags & PATTERN_NODIR) return matchBasename(withoutSlash.subarray(basenameOffset), pattern);
  return matchPathname(withoutSlash, base, pattern);
}

interface Frame {
  base: Uint8Array;
  rules: Rule[];
}

/**
 * Answers "what are the attributes of this path" for one tree. Built from the `.gitattributes`
 * files of the tree, keyed by the directory that holds them ('' for the top level).
 */
export class AttributeResolver {
  readonly #frames = new Map<string, Frame>();
  readonly #macros = new Map<string, AttributeState[]>();

  constructor(files: ReadonlyMap<string, AttributesFile>) {
    for (const [dir, file] of files) this.#frames.set(dir, { base: Buffer.from(dir, 'latin1'), rules: file.rules });
    // Only the top-level file may define macros; later definitions win, and they override the builtin ones.
    for (const macro of [...BUILTIN_MACROS, ...(files.get('')?.macros ?? [])]) {
      this.#macros.set(macro.name, macro.states);
    }
  }

  /** True when no `.gitattributes` file has a rule: every lookup answers "unspecified". */
  get isEmpty(): boolean {
    return [...this.#frames.values()].every((frame) => frame.rules.length === 0);
  }

  /**
   * The values of `names` for `path` (raw bytes; a directory ends with '/'), with git's
   * precedence: deeper files over shallower ones, later lines over earlier ones, and in a line
   * later states over earlier ones; macros expand where they are set.
   */
  lookup<N extends string>(path: Uint8Array, names: readonly N[]): Record<N, AttributeValue> {
    let lastSlash = -1;
    for (let i = 0; i < path.length - 1; i++) if (path[i] === 0x2f) lastSlash = i;
    const basenameOffset = lastSlash + 1;
    const frames = this.#framesFor(path, lastSlash === -1 ? 0 : lastSlash);

    const wanted = new Set<string>(names);
    const values = new Map<string, AttributeValue>();
    let remaining = wanted.size;
    const fill = (states: AttributeState[]) => {
      for (let i = states.length - 1; i >= 0 && remaining > 0; i--) {
        const state = states[i]!;
        if (values.has(state.name)) continue;
        values.set(state.name, state.value);
        if (wanted.has(state.name)) remaining -= 1;
        const macro = state.value === true ? this.#macros.get(state.name) : undefined;
        if (macro) fill(macro);
      }
    };
    for (let f = frames.length - 1; f >= 0 && remaining > 0; f--) {
      const frame = frames[f]!;
      for (let r = frame.rules.length - 1; r >= 0 && remaining > 0; r--) {
        const rule = frame.rules[r]!;
        if (pathMatches(path, basenameOffset, rule.pattern, frame.base)) fill(rule.states);
      }
    }
    const result = {} as Record<N, AttributeValue>;
    for (const name of names) result[name] = values.get(name) ?? null;
    return result;
  }

  /** The frames that apply to a path in directory `path[0, dirLength)`, top level first. */
  #framesFor(path: Uint8Array, dirLength: number): Frame[] {
    const frames: Frame[] = [];
    const root = this.#frames.get('');
    if (root) frames.push(root);
    for (let i = 0; i <= dirLength; i++) {
      if (i === dirLength || path[i] === 0x2f) {
        if (i === 0) continue;
        const frame = this.#frames.get(latin1(path.subarray(0, i)));
        if (frame) frames.push(frame);
      }
    }
    return frames;
  }
}
