import { PhpublishError } from '../errors/index.js';

/**
 * The rules every path of a package must follow, whatever it comes from (a git tree, our zip, a
 * GitHub zipball): installable everywhere, inside the install directory, and unambiguous. They are
 * part of the content-tree digest's definition (docs/content-digest.md).
 */

// A byte order mark at the start of a name is part of the name (the decoder would drop it by default).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const isAscii = (text: string) => /^\p{ASCII}*$/u.test(text);

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

// The patterns below read raw bytes as Latin-1 characters: a UTF-8 character of several bytes is
// several characters here, and `/i` folds ASCII letters only (never a byte above 0x7f into one).
/** ".git" as Windows reads it (git's is_ntfs_dotgit): ".git" or its 8.3 short name "git~1", then spaces and periods, which Windows drops. */
const NTFS_DOT_GIT = /^(?:\.git|git~1)[. ]*$/i;
/** The UTF-8 bytes of the characters HFS+ ignores in names (git's next_hfs_char): U+200C–U+200F, U+202A–U+202E, U+206A–U+206F, U+FEFF. */
const HFS_IGNORABLE_BYTES = /\xe2\x80[\x8c-\x8f\xaa-\xae]|\xe2\x81[\xaa-\xaf]|\xef\xbb\xbf/g;
/**
 * A name Windows keeps for a device whatever follows it after spaces or a period (git for
 * Windows' is_valid_win32_path, and COM0, LPT0 and the superscript digits ¹ ² ³ Microsoft also
 * lists): CON, PRN, AUX, NUL, COM0–COM9, LPT0–LPT9, CONIN$, CONOUT$, in any case.
 */
const DEVICE = /^(?:con(?:in\$|out\$)?|prn|aux|nul|(?:com|lpt)(?:[0-9]|\xc2[\xb9\xb2\xb3])) *(?:\.|$)/i;
/**
 * The shape of a Windows 8.3 short name: a base of at most eight characters ending in "~" and
 * digits, with something before the "~", and an extension of one to three characters, if any.
 * On a volume with short names, such a name can open another file of the same directory
 * ("COMPOS~1.JSO" is composer.json): two entries, one file.
 */
const SHORT_NAME_SHAPED = /^(?=[^.]{1,8}(?:\.|$))[^.]+~[0-9]+(?:\.[^.]{1,3})?$/;
/** Control characters, and the characters Windows refuses in names besides them and separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const FORBIDDEN = /[\x00-\x1f\x7f\\<>:"|?*]/;

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
 * differently is a way to write where the digest did not look.
 */
export function checkedPath(raw: string): string {
  const text = utf8Text(raw);
  if (text === undefined) throw new PhpublishError('ARCHIVE_PATH_NOT_UTF8', { path: printablePath(raw) });
  if (raw.length === 0) throw unsafePath(raw, 'it is empty');
  if (raw.length > MAX_PATH_BYTES) throw unsafePath(raw, `it is longer than ${MAX_PATH_BYTES} bytes`);
  if (raw.startsWith('/')) throw unsafePath(raw, 'it is absolute');
  if (/^[A-Za-z]:/.test(raw)) throw unsafePath(raw, 'it starts with a drive letter');
  // Segment by segment (UTF-8 never puts an ASCII byte inside a longer character).
  for (const segment of raw.split('/')) {
    const problem = forbiddenCharacter(segment) ?? segmentProblem(segment);
    if (problem !== undefined) throw unsafePath(raw, problem);
  }
  return text;
}

/** Why the first forbidden character of a segment is refused, or undefined. */
function forbiddenCharacter(segment: string): string | undefined {
  const c = FORBIDDEN.exec(segment)?.[0];
  if (c === undefined) return undefined;
  if (c === '\\') return 'it contains a backslash, a directory separator on Windows';
  if (c === ':') return 'it contains a colon, which names a data stream on Windows';
  if (c < ' ' || c === '\x7f') return 'it contains a control character';
  return 'it contains a character Windows does not allow in names (< > " | ? *)';
}

/** Why a segment (raw bytes as Latin-1) is refused, or undefined. */
function segmentProblem(segment: string): string | undefined {
  if (segment === '' || segment === '.' || segment === '..') return 'it has an empty, "." or ".." segment';
  if (segment.length > MAX_SEGMENT_BYTES) {
    return `it has a segment longer than ${MAX_SEGMENT_BYTES} bytes, more than file systems take`;
  }
  if (NTFS_DOT_GIT.test(segment)) {
    if (/^\.git$/i.test(segment)) return 'it has a ".git" segment';
    return 'it has a segment Windows reads as ".git" (it drops trailing spaces and periods, and "git~1" is the short name of ".git")';
  }
  if (/^\.git$/i.test(segment.replace(HFS_IGNORABLE_BYTES, ''))) {
    return 'it has a segment macOS reads as ".git" (HFS+ ignores zero-width and direction characters)';
  }
  if (segment.endsWith(' ') || segment.endsWith('.')) {
    return 'it has a segment ending in a space or a period, which Windows drops';
  }
  if (DEVICE.test(segment)) {
    return 'it has a segment Windows reserves for a device (CON, PRN, AUX, NUL, COM0-9, LPT0-9, also with an extension)';
  }
  if (SHORT_NAME_SHAPED.test(segment)) {
    return 'it has a segment shaped like a Windows short name ("NAME~1.EXT"), which can name another file';
  }
  return undefined;
}

/** The characters HFS+ ignores in names (see HFS_IGNORABLE_BYTES). */
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
    // Ancestors up to the first known directory, whose own ancestors were checked when it was added.
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
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
export const MAX_TARGET_BYTES = 4095;
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
    const target = utf8Text(rawTarget.toString('latin1'));
    if (target === undefined) {
      throw new PhpublishError('ARCHIVE_PATH_NOT_UTF8', {
        path: `${path} -> ${printablePath(rawTarget.toString('latin1'))}`,
      });
    }
    if (rawTarget.length === 0 || rawTarget.length > MAX_TARGET_BYTES || target.includes('\0')) {
      throw new PhpublishError('ARCHIVE_SYMLINK_ESCAPES', { path, target });
    }
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
