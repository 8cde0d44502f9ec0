/**
 * PHP's version_compare(), which Packagist uses to order versions (newest first in p2 metadata).
 * Port of ext/standard/versioning.c: canonicalise, split on dots, compare numbers as numbers and the special
 * forms by rank (dev < alpha = a < beta = b < RC = rc < # (a number) < pl = p).
 */

const isDigit = (char: string | undefined) => char !== undefined && char >= '0' && char <= '9';
const isAlnum = (char: string) => /^[A-Za-z0-9]$/.test(char);

function canonicalize(version: string): string {
  if (version === '') return '';
  let out = version[0]!;
  let previous = version[0]!;
  for (const char of version.slice(1)) {
    const last = out[out.length - 1];
    const previousIsNonDigit = !isDigit(previous) && previous !== '.';
    const charIsNonDigit = !isDigit(char) && char !== '.';
    if (char === '-' || char === '_' || char === '+') {
      if (last !== '.') out += '.';
    } else if ((previousIsNonDigit && isDigit(char)) || (isDigit(previous) && charIsNonDigit)) {
      if (last !== '.') out += '.';
      out += char;
    } else if (!isAlnum(char)) {
      if (last !== '.') out += '.';
    } else {
      out += char;
    }
    previous = char;
  }
  return out;
}

const SPECIAL_FORMS: ReadonlyArray<readonly [string, number]> = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];

function specialRank(form: string): number {
  // PHP compares with strncmp(form, name, strlen(name)): a form matches when it starts with the name.
  for (const [name, rank] of SPECIAL_FORMS) if (form.startsWith(name)) return rank;
  return -6;
}

const sign = (value: number) => (value < 0 ? -1 : value > 0 ? 1 : 0);

function compareSpecial(a: string, b: string): number {
  return sign(specialRank(a) - specialRank(b));
}

/** -1, 0 or 1, exactly as PHP's version_compare($a, $b). */
export function phpVersionCompare(a: string, b: string): number {
  if (a === '' || b === '') {
    if (a === '' && b === '') return 0;
    return a === '' ? -1 : 1;
  }
  // Like PHP, the internal '#N#' marker (a number) is not canonicalised.
  const partsA = (a.startsWith('#') ? a : canonicalize(a)).split('.');
  const partsB = (b.startsWith('#') ? b : canonicalize(b)).split('.');
  let i = 0;
  let result = 0;
  while (i < partsA.length && i < partsB.length && result === 0) {
    const partA = partsA[i]!;
    const partB = partsB[i]!;
    if (isDigit(partA[0]) && isDigit(partB[0])) {
      result = sign(Number.parseInt(partA, 10) - Number.parseInt(partB, 10));
    } else if (!isDigit(partA[0]) && !isDigit(partB[0])) {
      result = compareSpecial(partA, partB);
    } else if (isDigit(partA[0])) {
      result = compareSpecial('#N#', partB);
    } else {
      result = compareSpecial(partA, '#N#');
    }
    i++;
  }
  if (result === 0) {
    if (i < partsA.length) {
      result = isDigit(partsA[i]![0]) ? 1 : phpVersionCompare(partsA.slice(i).join('.'), '#N#');
    } else if (i < partsB.length) {
      result = isDigit(partsB[i]![0]) ? -1 : phpVersionCompare('#N#', partsB.slice(i).join('.'));
    }
  }
  return result;
}
