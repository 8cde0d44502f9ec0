/**
 * composer.json `archive.exclude`, matched the way Composer's ComposerExcludeFilter does it
 * (Composer 2.5 BaseExcludeFilter::generatePattern with Symfony Finder 5.4 Glob::toRegex): each rule
 * becomes a regular expression searched in "/" + the path; `!rule` re-includes; the last matching
 * rule decides. PCRE works on bytes here, so paths and rules are matched as Latin-1 strings of
 * their bytes, which gives the same byte semantics in JavaScript.
 */

interface ExcludeRule {
  regex: RegExp | undefined;
  negate: boolean;
}

/** Symfony's Glob::toRegex with strict leading dot and strict wildcard slash, without delimiters and anchors. */
function globToRegex(glob: string): string {
  let firstByte = true;
  let escaping = false;
  let inCurlies = 0;
  let regex = '';
  for (let i = 0; i < glob.length; i++) {
    let car = glob[i]!;
    if (firstByte && car !== '.') regex += '(?=[^\\.])';
    firstByte = car === '/';
    if (firstByte && glob.slice(i + 1, i + 3) === '**' && (i + 3 >= glob.length || glob[i + 3] === '/')) {
      // PCRE's possessive `[^/]++` equals a greedy `[^/]+` here: a slash must follow either way.
      car = `/(?:(?=[^\\.])[^/]+/${i + 3 >= glob.length ? '?' : ''})*`;
      i += 2 + (i + 3 < glob.length ? 1 : 0);
    }
    if (car === '#' || car === '.' || car === '(' || car === ')' || car === '|' || car === '+' || car === '^') {
      regex += `\\${car}`;
    } else if (car === '$') {
      regex += '\\$';
    } else if (car === '*') {
      regex += escaping ? '\\*' : '[^/]*';
    } else if (car === '?') {
      regex += escaping ? '\\?' : '[^/]';
    } else if (car === '{') {
      regex += escaping ? '\\{' : '(';
      if (!escaping) inCurlies += 1;
    } else if (car === '}' && inCurlies > 0) {
      regex += escaping ? '}' : ')';
      if (!escaping) inCurlies -= 1;
    } else if (car === ',' && inCurlies > 0) {
      regex += escaping ? ',' : '|';
    } else if (car === '\\') {
      if (escaping) {
        regex += '\\\\';
        escaping = false;
      } else {
        escaping = true;
      }
      continue;
    } else {
      regex += car;
    }
    escaping = false;
  }
  return regex;
}

function compileRule(rule: string): ExcludeRule {
  let negate = false;
  // Composer works on the UTF-8 bytes of the rule.
  let text = Buffer.from(rule, 'utf8').toString('latin1');
  if (text.startsWith('!')) {
    negate = true;
    text = text.replace(/^!+/, '');
  }
  const firstSlash = text.indexOf('/');
  let anchor = '';
  if (firstSlash === 0) anchor = '^/';
  else if (firstSlash === -1 || firstSlash === text.length - 1) anchor = '/';
  text = text.replace(/^\/+|\/+$/g, '');
  try {
    // PCRE's `$` also matches before a final newline.
    return { regex: new RegExp(`${anchor}${globToRegex(text)}(?=\\n?$|/)`), negate };
  } catch {
    // Composer suppresses rules that do not compile: they never match.
    return { regex: undefined, negate };
  }
}

/**
 * A predicate that says whether Composer's `archive.exclude` rules exclude a path (package-relative
 * text, without a trailing slash for directories).
 */
export function composerExcludeMatcher(rules: readonly string[]): (path: string) => boolean {
  const compiled = rules.map(compileRule);
  return (path) => {
    const subject = `/${Buffer.from(path, 'utf8').toString('latin1')}`;
    let exclude = false;
    for (const rule of compiled) {
      if (rule.regex?.test(subject)) exclude = !rule.negate;
    }
    return exclude;
  };
}
