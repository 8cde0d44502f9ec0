import { PhpublishError } from '../errors/index.js';

/**
 * The rules every path of a package must follow, whatever it comes from (a git tree, our zip, a
 * GitHub zipball): installable everywhere, inside the install directory, and unambiguous. They are
 * part of the content-tree digest's definition (docs/content-digest.md).
 */

// A byte order mark at the start of a name is part of the name (the decoder would drop it by default).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function isAscii(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) if (raw.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The text of a raw path (a Latin-1 byte string), or undefined when its bytes are not UTF-8. */
export function utf8Text(raw: string): string | undefined {
  if (isAscii(raw)) return raw;
  try {
    return utf8.decode(Buffer.from(raw, 'latin1'));
  } catch {
    return undefined;
  }
}

/** A raw path (a Latin-1 byte string) for messages: UTF-8 where it is, `\xNN` for other bytes and control characters. */
export function printablePath(raw: string): string {
  const hex = (code: number) => `\\x${code.toString(16).padStart(2, '0')}`;
  const text = utf8Text(raw);
  if (text !== undefined) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
    return text.replace(/[\u0000-\u001f\u007f]/g, (c) => hex(c.charCodeAt(0)));
  }
  return raw.replace(/[^\x20-\x7e]/g, (c) => hex(c.charCodeAt(0)));
}

/** The longest name a zip can carry. */
const MAX_PATH_BYTES = 0xffff;
/** The longest name of one file or directory most file systems take (ext4, APFS; NTFS counts 255 UTF-16 units). */
const MAX_SEGMENT_BYTES = 255;

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const SPACE = 0x20;
const COLON = 0x3a;
const TILDE = 0x7e;

/** ASCII characters Windows refuses in names, besides control characters and separators. */
const WINDOWS_FORBIDDEN = new Uint8Array(128);
for (const c of '<>:"|?*') WINDOWS_FORBIDDEN[c.charCodeAt(0)] = 1;

// Why a path is refused: constant sentences, so that checking makes nothing per path.
const EMPTY_OR_DOTS = 'it has an empty, "." or ".." segment';
const DOT_GIT = 'it has a ".git" segment';
const DOT_GIT_ON_WINDOWS =
  'it has a segment Windows reads as ".git" (it drops trailing spaces and periods, and "git~1" is the short name of ".git")';
const DOT_GIT_ON_MAC = 'it has a segment macOS reads as ".git" (HFS+ ignores zero-width and direction characters)';
const SEGMENT_TOO_LONG = `it has a segment longer than ${MAX_SEGMENT_BYTES} bytes, more than file systems take`;
const TRAILING_SPACE_OR_DOT = 'it has a segment ending in a space or a period, which Windows drops';
const DEVICE_NAME =
  'it has a segment Windows reserves for a device (CON, PRN, AUX, NUL, COM0-9, LPT0-9, also with an extension)';
const SHORT_NAME = 'it has a segment shaped like a Windows short name ("NAME~1.EXT"), which can name another file';
const CONTROL = 'it contains a control character';
const BACKSLASH_INSIDE = 'it contains a backslash, a directory separator on Windows';
const COLON_INSIDE = 'it contains a colon, which names a data stream on Windows';
const FORBIDDEN_ON_WINDOWS = 'it contains a character Windows does not allow in names (< > " | ? *)';

/** The refusal of a path (a function, not a closure in checkedPath: nothing made per path checked). */
function unsafePath(raw: string, problem: string): PhpublishError {
  return new PhpublishError('ARCHIVE_PATH_UNSAFE', { path: printablePath(raw), problem });
}

/**
 * Checks one package path (relative, '/'-separated, no trailing slash), given as raw bytes in a
 * Latin-1 string, and returns it as text. Throws ARCHIVE_PATH_NOT_UTF8 or ARCHIVE_PATH_UNSAFE.
 *
 * The rules are git's `verify_path` with `core.protectNTFS` and `core.protectHFS` (no ".git" by
 * any name Windows or macOS would read as ".git"), and what Windows can create (git for Windows'
 * `is_valid_win32_path`): a package is installed on every system, and a name one of them reads
 * differently is a way to write where the digest did not look. The bytes are read in place, one
 * character code at a time: nothing is made per path that passes.
 */
export function checkedPath(raw: string): string {
  const text = utf8Text(raw);
  if (text === undefined) throw new PhpublishError('ARCHIVE_PATH_NOT_UTF8', { path: printablePath(raw) });
  if (raw.length === 0) throw unsafePath(raw, 'it is empty');
  if (raw.length > MAX_PATH_BYTES) throw unsafePath(raw, `it is longer than ${MAX_PATH_BYTES} bytes`);
  const first = raw.charCodeAt(0);
  if (first === SLASH) throw unsafePath(raw, 'it is absolute');
  if (raw.charCodeAt(1) === COLON && isAsciiLetter(first)) throw unsafePath(raw, 'it starts with a drive letter');
  // One pass over the bytes (UTF-8 never puts an ASCII byte inside a longer character):
  // separators and forbidden characters, and each segment as it ends.
  let segmentStart = 0;
  let ascii = true;
  let tilde = false;
  for (let i = 0; i <= raw.length; i++) {
    const c = i < raw.length ? raw.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      const problem = segmentProblem(raw, segmentStart, i, ascii, tilde);
      if (problem !== undefined) throw unsafePath(raw, problem);
      segmentStart = i + 1;
      ascii = true;
      tilde = false;
    } else if (c < 0x20 || c === 0x7f) throw unsafePath(raw, CONTROL);
    else if (c === BACKSLASH) throw unsafePath(raw, BACKSLASH_INSIDE);
    else if (c >= 0x80) ascii = false;
    else if (c === TILDE) tilde = true;
    else if (WINDOWS_FORBIDDEN[c] === 1) throw unsafePath(raw, c === COLON ? COLON_INSIDE : FORBIDDEN_ON_WINDOWS);
  }
  return text;
}

/** Why the segment `raw[start, end)` is refused, or undefined. `ascii`, `tilde`: what the segment holds. */
function segmentProblem(raw: string, start: number, end: number, ascii: boolean, tilde: boolean): string | undefined {
  const length = end - start;
  if (length === 0) return EMPTY_OR_DOTS;
  const first = raw.charCodeAt(start);
  const last = raw.charCodeAt(end - 1);
  if (first === DOT && (length === 1 || (length === 2 && last === DOT))) return EMPTY_OR_DOTS;
  if (length > MAX_SEGMENT_BYTES) return SEGMENT_TOO_LONG;
  if (isNtfsDotGit(raw, start, end)) return length === 4 && first === DOT ? DOT_GIT : DOT_GIT_ON_WINDOWS;
  if (!ascii && isHfsDotGit(raw, start, end)) return DOT_GIT_ON_MAC;
  if (last === SPACE || last === DOT) return TRAILING_SPACE_OR_DOT;
  if (isWindowsDeviceName(raw, start, end)) return DEVICE_NAME;
  if (tilde && isShortNameShaped(raw, start, end)) return SHORT_NAME;
  return undefined;
}

const isAsciiLetter = (c: number) => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** Whether `c` is the ASCII letter `lower` in either case. */
const isLetter = (c: number, lower: number) => (c | 0x20) === lower;

/**
 * ".git" as Windows reads it (git's is_ntfs_dotgit): ".git" or its 8.3 short name "git~1", in
 * any case, followed by nothing but spaces and periods (which Windows drops).
 */
function isNtfsDotGit(raw: string, start: number, end: number): boolean {
  let i = start;
  if (raw.charCodeAt(i) === DOT) i += 1;
  if (
    !isLetter(raw.charCodeAt(i), 0x67) ||
    !isLetter(raw.charCodeAt(i + 1), 0x69) ||
    !isLetter(raw.charCodeAt(i + 2), 0x74)
  ) {
    return false;
  }
  i += 3;
  if (i - start === 3) {
    // No dot: only the short name "git~1" is ".git".
    if (raw.charCodeAt(i) !== TILDE || raw.charCodeAt(i + 1) !== 0x31) return false;
    i += 2;
  }
  for (; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (c !== SPACE && c !== DOT) return false;
  }
  return true;
}

/**
 * How many bytes the UTF-8 character at `i` takes when HFS+ ignores it in names (git's
 * next_hfs_char): U+200C–U+200F, U+202A–U+202E, U+206A–U+206F and U+FEFF; 0 for any other.
 */
function hfsIgnorableLength(raw: string, i: number): number {
  const a = raw.charCodeAt(i);
  const b = raw.charCodeAt(i + 1);
  const c = raw.charCodeAt(i + 2);
  if (a === 0xe2 && b === 0x80 && ((c >= 0x8c && c <= 0x8f) || (c >= 0xaa && c <= 0xae))) return 3;
  if (a === 0xe2 && b === 0x81 && c >= 0xaa && c <= 0xaf) return 3;
  if (a === 0xef && b === 0xbb && c === 0xbf) return 3;
  return 0;
}

const DOT_GIT_BYTES = [DOT, 0x67, 0x69, 0x74];

/** ".git" as macOS reads it on HFS+ (git's is_hfs_dotgit): ".git" in any case once ignorable characters are dropped. */
function isHfsDotGit(raw: string, start: number, end: number): boolean {
  let matched = 0;
  for (let i = start; i < end; ) {
    const c = raw.charCodeAt(i);
    if (c >= 0x80) {
      const skip = hfsIgnorableLength(raw, i);
      if (skip === 0) return false;
      i += skip;
      continue;
    }
    if (matched === 4) return false;
    // The dot exactly, the letters in either case.
    const folded = matched === 0 ? c : c | 0x20;
    if (folded !== DOT_GIT_BYTES[matched]) return false;
    matched += 1;
    i += 1;
  }
  return matched === 4;
}

/**
 * A name Windows keeps for a device whatever follows it after spaces or a period (git for
 * Windows' is_valid_win32_path, and COM0, LPT0 and the superscript digits Microsoft also lists):
 * CON, PRN, AUX, NUL, COM0–COM9, LPT0–LPT9, CONIN$, CONOUT$, in any case.
 */
function isWindowsDeviceName(raw: string, start: number, end: number): boolean {
  if (end - start < 3) return false;
  const a = raw.charCodeAt(start) | 0x20;
  const b = raw.charCodeAt(start + 1) | 0x20;
  const c = raw.charCodeAt(start + 2) | 0x20;
  let i = start + 3;
  if (a === 0x63 && b === 0x6f && c === 0x6e) {
    // CON, CONIN$, CONOUT$
    if (isLetter(raw.charCodeAt(i), 0x69) && isLetter(raw.charCodeAt(i + 1), 0x6e) && raw.charCodeAt(i + 2) === 0x24) {
      i += 3;
    } else if (
      isLetter(raw.charCodeAt(i), 0x6f) &&
      isLetter(raw.charCodeAt(i + 1), 0x75) &&
      isLetter(raw.charCodeAt(i + 2), 0x74) &&
      raw.charCodeAt(i + 3) === 0x24
    ) {
      i += 4;
    }
  } else if ((a === 0x63 && b === 0x6f && c === 0x6d) || (a === 0x6c && b === 0x70 && c === 0x74)) {
    // COM and LPT take a digit, or ¹ ² ³ (U+00B9, U+00B2, U+00B3).
    const next = raw.charCodeAt(i);
    const superscript = raw.charCodeAt(i + 1);
    if (isDigit(next)) i += 1;
    else if (next === 0xc2 && (superscript === 0xb9 || superscript === 0xb2 || superscript === 0xb3)) i += 2;
    else return false;
  } else if (
    !(a === 0x70 && b === 0x72 && c === 0x6e) && // PRN
    !(a === 0x61 && b === 0x75 && c === 0x78) && // AUX
    !(a === 0x6e && b === 0x75 && c === 0x6c) // NUL
  ) {
    return false;
  }
  while (i < end && raw.charCodeAt(i) === SPACE) i++;
  return i === end || raw.charCodeAt(i) === DOT;
}

/**
 * The shape of a Windows 8.3 short name: a base of at most eight characters ending in "~" and
 * digits, with something before the "~", and an extension of one to three characters, if any.
 * On a volume with short names, such a name can open another file of the same directory
 * ("COMPOS~1.JSO" is composer.json): two entries, one file.
 */
function isShortNameShaped(raw: string, start: number, end: number): boolean {
  let dot = start;
  while (dot < end && raw.charCodeAt(dot) !== DOT) dot++;
  if (dot - start > 8) return false;
  if (dot < end) {
    const extension = end - dot - 1;
    if (extension < 1 || extension > 3) return false;
    for (let i = dot + 1; i < end; i++) if (raw.charCodeAt(i) === DOT) return false;
  }
  let i = dot - 1;
  if (i <= start || !isDigit(raw.charCodeAt(i))) return false;
  while (i > start && isDigit(raw.charCodeAt(i))) i--;
  return i > start && raw.charCodeAt(i) === TILDE;
}

/** The characters HFS+ ignores in names (see hfsIgnorableLength). */
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * Two paths that differ only in Unicode normalisation or case land on the same file on macOS and
 * Windows; so do two that differ by characters HFS+ ignores.
 */
export function foldPath(path: string): string {
  return isAscii(path) ? path.toLowerCase() : path.normalize('NFC').replace(HFS_IGNORABLE, '').toLowerCase();
}

/**
 * Collects the paths of a package and refuses the second of two entries that would be installed at
 * the same place: equal once folded, or a file where another entry needs a directory.
 */
export class PathCollisions {
  /** Files and symlinks, by folded path. */
  readonly #files = new Map<string, string>();
  /** Directories, explicit or implied by a deeper path, by folded path. */
  readonly #directories = new Map<string, string>();
  readonly #explicitDirectories = new Set<string>();
  /** The parent directory of the last path added, whose ancestors are all known to be directories. */
  #checkedParent = '';

  add(path: string, kind: 'file' | 'directory'): void {
    const folded = foldPath(path);
    if (kind === 'file') {
      const other = this.#files.get(folded) ?? this.#directories.get(folded);
      if (other !== undefined) throw duplicatePath(path, other);
      this.#files.set(folded, path);
    } else {
      const file = this.#files.get(folded);
      if (file !== undefined) throw duplicatePath(path, file);
      if (this.#explicitDirectories.has(path)) throw duplicatePath(path, path);
      this.#explicitDirectories.add(path);
      if (!this.#directories.has(folded)) this.#directories.set(folded, path);
    }
    // Paths come grouped by directory: a parent met just before has been checked, and a file
    // added since under the same folded name would have been refused then.
    const last = path.lastIndexOf('/');
    if (last > 0 && last === this.#checkedParent.length && path.startsWith(this.#checkedParent)) return;
    if (last > 0) this.#checkedParent = path.slice(0, last);
    for (let slash = last; slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
      const parent = path.slice(0, slash);
      const foldedParent = foldPath(parent);
      const file = this.#files.get(foldedParent);
      if (file !== undefined) throw duplicatePath(path, file);
      if (this.#directories.has(foldedParent)) break;
      this.#directories.set(foldedParent, parent);
    }
  }
}

function duplicatePath(path: string, other: string): PhpublishError {
  return new PhpublishError('ARCHIVE_DUPLICATE_PATH', { path, other });
}

/** Longest symlink target accepted: PATH_MAX on Linux. */
const MAX_TARGET_BYTES = 4095;
/** Links followed before giving up, like the kernel's ELOOP limit. */
const MAX_HOPS = 40;

/**
 * Refuses symbolic links that would point outside the package once installed: absolute targets,
 * and targets that climb above the package root, also through other links of the package (whose
 * paths are compared folded, as a case-insensitive file system would resolve them).
 */
export function checkSymlinks(links: ReadonlyMap<string, Buffer>): void {
  const byFolded = new Map<string, string>();
  const targets = new Map<string, string>();
  for (const [path, rawTarget] of links) {
    const escapes = (target: string) => new PhpublishError('ARCHIVE_SYMLINK_ESCAPES', { path, target });
    const target = utf8Text(rawTarget.toString('latin1'));
    if (target === undefined) {
      throw new PhpublishError('ARCHIVE_PATH_NOT_UTF8', {
        path: `${path} -> ${printablePath(rawTarget.toString('latin1'))}`,
      });
    }
    if (rawTarget.length === 0 || rawTarget.length > MAX_TARGET_BYTES || target.includes('\0')) throw escapes(target);
    byFolded.set(foldPath(path), target);
    targets.set(path, target);
  }
  for (const [path, target] of targets) {
    let hops = 0;
    const resolve = (directory: string[], linkTarget: string): string[] | undefined => {
      if (linkTarget.startsWith('/') || /^[A-Za-z]:/.test(linkTarget) || linkTarget.includes('\\')) return undefined;
      let stack = [...directory];
      for (const segment of linkTarget.split('/')) {
        if (segment === '' || segment === '.') continue;
        if (segment === '..') {
          if (stack.length === 0) return undefined;
          stack.pop();
          continue;
        }
        stack.push(segment);
        const next = byFolded.get(foldPath(stack.join('/')));
        if (next !== undefined) {
          if (++hops > MAX_HOPS) return undefined;
          stack.pop();
          const resolved = resolve(stack, next);
          if (!resolved) return undefined;
          stack = resolved;
        }
      }
      return stack;
    };
    if (!resolve(path.split('/').slice(0, -1), target)) {
      throw new PhpublishError('ARCHIVE_SYMLINK_ESCAPES', { path, target });
    }
  }
}
