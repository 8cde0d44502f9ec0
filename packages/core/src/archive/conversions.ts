import { PhpublishError } from '../errors/index.js';
import type { AttributeValue } from './gitattributes.js';

/**
 * What `git archive` does to a file's bytes (git 2.39 convert.c and archive.c), as git does it on
 * a machine without configuration, which is what GitHub's zipballs are: `ident`, end-of-line
 * conversion from the `text`/`crlf`/`eol` attributes, then `export-subst`. Filters (`filter=`) need
 * a driver from the local configuration, so they never apply, as on GitHub.
 */

/** The attributes that change contents, in the order `conversionFor` reads them. */
export const CONTENT_ATTRIBUTES = ['export-subst', 'ident', 'text', 'crlf', 'eol', 'working-tree-encoding'] as const;
export type ContentAttributes = Record<(typeof CONTENT_ATTRIBUTES)[number], AttributeValue>;

/** LF to CRLF: always (`text` + `eol=crlf`), or only for text without CRs (`text=auto` + `eol=crlf`). */
export type CrlfConversion = 'always' | 'auto' | undefined;

export interface Conversion {
  subst: boolean;
  ident: boolean;
  crlf: CrlfConversion;
}

/** What conversionFor answers for a file git exports as it is stored. */
export const NO_CONVERSION: Readonly<Conversion> = Object.freeze({ subst: false, ident: false, crlf: undefined });

/** Blobs above git's core.bigFileThreshold are streamed by `git archive` without conversion (unless export-subst). */
export const GIT_BIG_FILE_THRESHOLD = 512 * 1024 * 1024;
/** Converting needs the whole file in memory; larger files that need it are refused. */
export const MAX_CONVERTED_SIZE = 64 * 1024 * 1024;

/**
 * convert.c's convert_attrs with core.autocrlf=false and core.eol=lf (git's defaults on Linux):
 * `text` decides, or `crlf` where `text` is none of set, unset, `input` or `auto`
 * (git_path_check_crlf); then only `eol=crlf` converts, and never a file marked binary.
 */
function crlfConversion({ text, crlf, eol }: ContentAttributes): CrlfConversion {
  const action = text === true || text === false || text === 'input' || text === 'auto' ? text : crlf;
  if (action === false || eol !== 'crlf') return undefined;
  return action === 'auto' ? 'auto' : 'always';
}

/** utf8.c's same_encoding against UTF-8: "utf8", "UTF-8", "Utf-8"… */
const UTF8_NAME = /^utf-?8$/i;

/**
 * The conversions `git archive` applies to a regular file with these attributes and size. Refuses
 * (coded) what phpublish does not reproduce: `working-tree-encoding` other than UTF-8, and
 * conversions of files too large to hold in memory.
 */
export function conversionFor(path: string, size: number, attributes: ContentAttributes): Conversion {
  const encoding = attributes['working-tree-encoding'];
  if (encoding === true || encoding === false) {
    throw new PhpublishError('ARCHIVE_ATTRIBUTE_UNSUPPORTED', {
      path,
      attribute: 'working-tree-encoding',
      problem: 'it must name an encoding (git archive fails on it too)',
    });
  }
  const subst = attributes['export-subst'] === true;
  const streamedByGit = size > GIT_BIG_FILE_THRESHOLD && !subst;
  if (typeof encoding === 'string' && encoding !== '' && !UTF8_NAME.test(encoding) && !streamedByGit) {
    throw new PhpublishError('ARCHIVE_ATTRIBUTE_UNSUPPORTED', {
      path,
      attribute: `working-tree-encoding=${encoding}`,
      problem: 're-encoding files from UTF-8 depends on the iconv of the machine, so phpublish does not reproduce it',
    });
  }
  const ident = !streamedByGit && attributes.ident === true;
  const crlf = streamedByGit ? undefined : crlfConversion(attributes);
  // Most files need none: one shared answer for them, not an object per file.
  if (!subst && !ident && crlf === undefined) return NO_CONVERSION;
  if (size > MAX_CONVERTED_SIZE) {
    throw new PhpublishError('ARCHIVE_FILE_TOO_LARGE', {
      path,
      size,
      limit: MAX_CONVERTED_SIZE,
      reason: 'for a file that export-subst, ident or eol=crlf converts',
    });
  }
  return { subst, ident, crlf };
}

export function needsConversion(conversion: Conversion): boolean {
  return conversion.subst || conversion.ident || conversion.crlf !== undefined;
}

/**
 * convert.c's ident_to_worktree: `$Id$` and `$Id: … $` become `$Id: <blob id> $`. It runs first,
 * on the blob as stored, so the id git hashes is the blob's own object id.
 */
export function expandIdent(content: Buffer, blobId: string): Buffer {
  if (content.indexOf('$Id') === -1) return content;
  const out: Buffer[] = [];
  let src = 0;
  let changed = false;
  for (;;) {
    const dollar = content.indexOf(0x24, src);
    if (dollar === -1) break;
    out.push(content.subarray(src, dollar + 1));
    src = dollar + 1;
    const len = content.length - src;
    if (len < 3 || content[src] !== 0x49 || content[src + 1] !== 0x64) continue;
    if (content[src + 2] === 0x24) {
      src += 3;
    } else if (content[src + 2] === 0x3a) {
      const end = content.indexOf(0x24, src + 3);
      if (end === -1) break; // an incomplete keyword: nothing more to expand
      const inside = content.subarray(src + 3, end);
      if (inside.indexOf(0x0a) !== -1) continue; // a line break before the closing dollar
      const space = content.subarray(src + 4, end).indexOf(0x20);
      if (space !== -1 && src + 4 + space < end - 1) continue; // probably another VCS's keyword
      src = end + 1;
    } else {
      continue;
    }
    out.push(Buffer.from(`Id: ${blobId} $`, 'latin1'));
    changed = true;
  }
  if (!changed) return content;
  out.push(content.subarray(src));
  return Buffer.concat(out);
}

interface TextStats {
  lonecr: number;
  lonelf: number;
  crlf: number;
  nul: number;
  printable: number;
  nonprintable: number;
}

function gatherStats(buf: Buffer): TextStats {
  const s: TextStats = { lonecr: 0, lonelf: 0, crlf: 0, nul: 0, printable: 0, nonprintable: 0 };
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === 0x0d) {
      if (buf[i + 1] === 0x0a) {
        s.crlf++;
        i++;
      } else s.lonecr++;
      continue;
    }
    if (c === 0x0a) {
      s.lonelf++;
      continue;
    }
    if (c === 127) s.nonprintable++;
    else if (c < 32) {
      // BS, HT, ESC and FF count as printable.
      if (c === 8 || c === 9 || c === 27 || c === 12) s.printable++;
      else {
        if (c === 0) s.nul++;
        s.nonprintable++;
      }
    } else s.printable++;
  }
  // A trailing ^Z (DOS end of file) is not held against the file.
  if (buf.length > 0 && buf[buf.length - 1] === 0x1a) s.nonprintable--;
  return s;
}

/** convert.c's crlf_to_worktree: every LF not preceded by CR becomes CRLF. */
export function convertToCrlf(content: Buffer, mode: 'always' | 'auto'): Buffer {
  if (content.length === 0) return content;
  const stats = gatherStats(content);
  if (stats.lonelf === 0) return content;
  if (mode === 'auto') {
    if (stats.lonecr || stats.crlf) return content;
    const binary = stats.lonecr > 0 || stats.nul > 0 || stats.printable >> 7 < stats.nonprintable;
    if (binary) return content;
  }
  const out = Buffer.allocUnsafe(content.length + stats.lonelf);
  let o = 0;
  for (let i = 0; i < content.length; i++) {
    const c = content[i]!;
    if (c === 0x0a && (i === 0 || content[i - 1] !== 0x0d)) out[o++] = 0x0d;
    out[o++] = c;
  }
  return out.subarray(0, o);
}

/** One `$Format:…$` in a file: where it is and the format between the markers. */
export interface SubstPlaceholder {
  start: number;
  end: number;
  format: Buffer;
}

const FORMAT_MARKER = Buffer.from('$Format:');

/** archive.c's format_subst, first half: the placeholders, in order. */
export function findSubstPlaceholders(content: Buffer): SubstPlaceholder[] {
  const found: SubstPlaceholder[] = [];
  let from = 0;
  for (;;) {
    const start = content.indexOf(FORMAT_MARKER, from);
    if (start === -1) break;
    const close = content.indexOf(0x24, start + FORMAT_MARKER.length);
    if (close === -1) break;
    found.push({ start, end: close + 1, format: content.subarray(start + FORMAT_MARKER.length, close) });
    from = close + 1;
  }
  return found;
}

/** format_subst, second half: each placeholder replaced by its expansion. */
export function substitute(content: Buffer, placeholders: SubstPlaceholder[], expansions: Buffer[]): Buffer {
  if (placeholders.length === 0) return content;
  const out: Buffer[] = [];
  let src = 0;
  placeholders.forEach((p, i) => {
    out.push(content.subarray(src, p.start), expansions[i]!);
    src = p.end;
  });
  out.push(content.subarray(src));
  return Buffer.concat(out);
}
