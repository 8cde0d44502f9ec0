/**
 * git's wildmatch (wildmatch.c, git 2.39), ported byte for byte so that `.gitattributes` patterns
 * match exactly the paths git matches. Patterns and paths are raw bytes, held as Latin-1 strings
 * (one character per byte, compact in memory): git is 8-bit clean and so is this. Only the flags git's attribute matching uses are implemented (no case folding: git only
 * folds with core.ignoreCase, a machine setting that must not change what a release contains).
 */

export const WM_PATHNAME = 1;

const MATCH = 0;
const NOMATCH = 1;
const ABORT_ALL = -1;
const ABORT_TO_STARSTAR = -2;

const SLASH = 0x2f;
const STAR = 0x2a;
const BACKSLASH = 0x5c;

/** `*`, `?`, `[` and `\`: the characters that end the literal prefix of a pattern. */
const isGlobSpecial = (c: number) => c === 0x2a || c === 0x3f || c === 0x5b || c === 0x5c;

/** `[:class:]` as git's locale-independent ctype (ctype.c) has it: ASCII only, nothing above 0x7f is in any class. */
const CLASSES: Record<string, RegExp> = {
  alnum: /[A-Za-z0-9]/,
  alpha: /[A-Za-z]/,
  blank: /[ \t]/,
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the class
  cntrl: /[\x00-\x1f\x7f]/,
  digit: /[0-9]/,
  graph: /[!-~]/,
  lower: /[a-z]/,
  print: /[ -~]/,
  punct: /[!-/:-@[-`{-~]/,
  space: /[ \t\n\r]/,
  upper: /[A-Z]/,
  xdigit: /[0-9A-Fa-f]/,
};

/** Byte at `i`, or 0 past the end: the C code relies on NUL-terminated strings. */
const at = (s: string, i: number) => (i < s.length ? s.charCodeAt(i) : 0);

function dowild(p: string, pi: number, text: string, ti: number, flags: number): number {
  const patternStart = pi;
  for (; at(p, pi) !== 0; ti++, pi++) {
    let pCh = at(p, pi);
    let tCh = at(text, ti);
    if (tCh === 0 && pCh !== STAR) return ABORT_ALL;
    switch (pCh) {
      case BACKSLASH:
        // Literal match with the next character (a trailing backslash matches nothing).
        pCh = at(p, ++pi);
        if (tCh !== pCh) return NOMATCH;
        continue;
      case 0x3f: // '?'
        if (flags & WM_PATHNAME && tCh === SLASH) return NOMATCH;
        continue;
      case STAR: {
        let matchSlash: boolean;
        if (at(p, ++pi) === STAR) {
          const prevP = pi - 2;
          while (at(p, ++pi) === STAR) {}
          if (!(flags & WM_PATHNAME)) {
            matchSlash = true;
          } else if (
            (prevP < patternStart || at(p, prevP) === SLASH) &&
            (at(p, pi) === 0 || at(p, pi) === SLASH || (at(p, pi) === BACKSLASH && at(p, pi + 1) === SLASH))
          ) {
            // `foo/**/bar` also matches `foo/bar`: try `**/` as matching nothing first.
            if (at(p, pi) === SLASH && dowild(p, pi + 1, text, ti, flags) === MATCH) return MATCH;
            matchSlash = true;
          } else {
            matchSlash = false;
          }
        } else {
          matchSlash = !(flags & WM_PATHNAME);
        }
        if (at(p, pi) === 0) {
          // A trailing `**` matches everything, a trailing `*` only what has no more slashes.
          if (!matchSlash && text.indexOf('/', ti) !== -1) return NOMATCH;
          return MATCH;
        }
        if (!matchSlash && at(p, pi) === SLASH) {
          // One `*` followed by a slash matches up to the next directory separator.
          const slash = text.indexOf('/', ti);
          if (slash === -1) return NOMATCH;
          ti = slash;
          break; // the slash is consumed by the loop
        }
        for (;;) {
          if (tCh === 0) break;
          if (!isGlobSpecial(at(p, pi))) {
            // Skip ahead to the next occurrence of the literal that follows the star.
            pCh = at(p, pi);
            for (;;) {
              tCh = at(text, ti);
              if (tCh === 0 || (!matchSlash && tCh === SLASH) || tCh === pCh) break;
              ti++;
            }
            if (tCh !== pCh) return NOMATCH;
          }
          const matched = dowild(p, pi, text, ti, flags);
          if (matched !== NOMATCH) {
            if (!matchSlash || matched !== ABORT_TO_STARSTAR) return matched;
          } else if (!matchSlash && tCh === SLASH) {
            return ABORT_TO_STARSTAR;
          }
          tCh = at(text, ++ti);
        }
        return ABORT_ALL;
      }
      case 0x5b: {
        // '['
        pCh = at(p, ++pi);
        if (pCh === 0x5e) pCh = 0x21; // '^' negates like '!'
        const negated = pCh === 0x21;
        if (negated) pCh = at(p, ++pi);
        let prevCh = 0;
        let matched = false;
        for (;;) {
          if (pCh === 0) return ABORT_ALL;
          if (pCh === BACKSLASH) {
            pCh = at(p, ++pi);
            if (pCh === 0) return ABORT_ALL;
            if (tCh === pCh) matched = true;
          } else if (pCh === 0x2d && prevCh !== 0 && at(p, pi + 1) !== 0 && at(p, pi + 1) !== 0x5d) {
            pCh = at(p, ++pi);
            if (pCh === BACKSLASH) {
              pCh = at(p, ++pi);
              if (pCh === 0) return ABORT_ALL;
            }
            if (tCh <= pCh && tCh >= prevCh) matched = true;
            pCh = 0; // so that prevCh becomes 0
          } else if (pCh === 0x5b && at(p, pi + 1) === 0x3a) {
            // [:class:]
            const s = pi + 2;
            let end = s;
            while (at(p, end) !== 0 && at(p, end) !== 0x5d) end++;
            if (at(p, end) === 0) return ABORT_ALL;
            if (end - s - 1 < 0 || at(p, end - 1) !== 0x3a) {
              // No ":]": a plain '[' in the set.
              pCh = 0x5b;
              if (tCh === pCh) matched = true;
            } else {
              const test = CLASSES[p.slice(s, end - 1)];
              if (!test) return ABORT_ALL; // malformed [:class:]
              if (test.test(String.fromCharCode(tCh))) matched = true;
              pi = end;
              pCh = 0;
            }
          } else if (tCh === pCh) {
            matched = true;
          }
          // git's `while (prev_ch = p_ch, (p_ch = *++p) != ']')`
          prevCh = pCh;
          pCh = at(p, ++pi);
          if (pCh === 0x5d) break;
        }
        if (matched === negated || (flags & WM_PATHNAME && tCh === SLASH)) return NOMATCH;
        continue;
      }
      default:
        if (tCh !== pCh) return NOMATCH;
        continue;
    }
  }
  return at(text, ti) !== 0 ? NOMATCH : MATCH;
}

/** True when `pattern` matches the whole of `text` (git's `wildmatch(...) == 0`); both are Latin-1 byte strings. */
export function wildmatch(pattern: string, text: string, flags = 0): boolean {
  return dowild(pattern, 0, text, 0, flags) === MATCH;
}
