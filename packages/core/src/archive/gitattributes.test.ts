import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { archiveGitEnv } from '@phpublish/testing/archive';
import { git } from '@phpublish/testing/git';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttributeResolver, type AttributeValue, parseAttributesFile } from './gitattributes.js';

/**
 * Pattern matching and attribute values against `git check-attr` itself: one rule per pattern,
 * each setting its own attribute, asked for many paths (directories end with '/').
 */

const patterns = [
  '*',
  '*.txt',
  '/*.txt',
  'foo',
  '/foo',
  'foo/',
  '/foo/bar',
  'foo/*',
  'foo/**',
  '**/foo',
  '**/foo/bar',
  'a/**/b',
  'a/*/b',
  'a/**',
  '**',
  '**foo',
  'foo**',
  '*/',
  'a?c',
  '[a-c]x',
  '[!a-c]x',
  '[^a]x',
  '[]]x',
  '[a-]x',
  '[[:alpha:]]y',
  '[[:digit:][:upper:]]y',
  '[[:xdigit:]]z',
  '[[:bogus:]]z',
  '[[:space:]]s',
  'x\\*y',
  '\\#hash',
  'a[/]b',
  '*.d/',
  'deep/**/*.php',
  'dir/**/',
  'ba[',
  'x*y*z',
  '**/*.md',
  'src/**/Test*.php',
  // Each character class, and classes meeting bytes outside ASCII.
  '[[:cntrl:]]c',
  '[[:print:]]q',
  '[[:graph:]]g',
  '[[:punct:]]u',
  '[[:blank:]]k',
  '[[:lower:]]k',
  '[[:alnum:]]n',
  // Escapes and unfinished classes inside brackets.
  '[\\]]x',
  '[a-\\z]w',
  '[[:alpha',
  '[[:a]y',
  '[a\\',
  // A '?' never matches a slash in a path; stars followed by a slash, a class, or nothing.
  'x/a?c',
  'm/**\\/n',
  'm/?b**',
  'm/**b',
  'q/*[ab]',
  'q/*?/z',
  'r/**/x*y/z',
  'r/*/**/t',
  // C-quoted patterns: octal escapes for bytes, and escapes git does not know.
  '"\\303\\251q"',
  '"\\t\\"k"',
  '"\\qk"',
  '"\\477k"',
];

const paths = [
  'foo',
  'foo/',
  'bar/foo',
  'bar/foo/',
  'foo/bar',
  'foo/bar/',
  'foo/baz/bar',
  'x/foo/bar',
  'a.txt',
  'dir/a.txt',
  'a/b',
  'a/x/b',
  'a/x/y/b',
  'a/b/c',
  'abc',
  'a/c',
  'ax',
  'dx',
  'bx',
  ']x',
  '-x',
  'Ay',
  '7y',
  'Fz',
  'gz',
  ' s',
  'x*y',
  'xzy',
  '#hash',
  'a/b',
  'lib.d/',
  'lib.d',
  'deep/x.php',
  'deep/a/b/x.php',
  'dir/',
  'dir/sub/',
  'ba[',
  'xaybz',
  'xy/z',
  'docs/README.md',
  'README.md',
  'src/a/b/TestCase.php',
  'src/TestCase.php',
  'myfoo',
  'foolish',
  '\x01c',
  '\x7fc',
  '~q',
  '\u00e9q',
  '~g',
  '.u',
  'au',
  '\tk',
  'Ak',
  'ak',
  '0n',
  '_n',
  '\\x',
  'yw',
  '[[:alpha',
  ':y',
  '[y',
  'x/a/c',
  'x/abc',
  'm/a/b/n',
  'm/n',
  'm/ab',
  'm/ab/c',
  'm/zb',
  'm/a/zb',
  'q/ab',
  'q/z/a',
  'q/a/z',
  'q/ab/z',
  'r/a/xqy/z',
  'r/a/xq/y/z',
  'r/xy/z',
  'r/a/t',
  'r/a/b/t',
];

let temp: TempDir;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-check-attr-');
  await git(temp.path, ['init', '--quiet'], { env: archiveGitEnv });
});
afterAll(async () => {
  await temp.cleanup();
});

/** Values as `git check-attr` prints them. */
function printed(value: AttributeValue): string {
  if (value === true) return 'set';
  if (value === false) return 'unset';
  if (value === null) return 'unspecified';
  return value;
}

async function checkAttr(names: string[], asked: string[]): Promise<Record<string, Record<string, string>>> {
  const stdout = await git(temp.path, ['check-attr', '-z', '--stdin', ...names], {
    env: archiveGitEnv,
    input: `${asked.join('\0')}\0`,
  });
  const fields = stdout.split('\0');
  const result: Record<string, Record<string, string>> = {};
  for (let i = 0; i + 2 < fields.length; i += 3) {
    result[fields[i]!] ??= {};
    result[fields[i]!]![fields[i + 1]!] = fields[i + 2]!;
  }
  return result;
}

function ours(files: Record<string, string>, names: string[], asked: string[]) {
  const parsed = new Map(
    Object.entries(files).map(([dir, text]) => [
      dir,
      parseAttributesFile(Buffer.from(text), { macrosAllowed: dir === '' }),
    ]),
  );
  const resolver = new AttributeResolver(parsed);
  const result: Record<string, Record<string, string>> = {};
  for (const path of asked) {
    const values = resolver.lookup(Buffer.from(path).toString('latin1'), names);
    result[path] = Object.fromEntries(names.map((n) => [n, printed(values[n])]));
  }
  return result;
}

describe('when matching .gitattributes patterns', () => {
  it('matches every pattern form exactly where git does', async () => {
    const names = patterns.map((_, i) => `p${i}`);
    const text = `${patterns.map((p, i) => `${p} p${i}`).join('\n')}\n`;
    await writeFile(join(temp.path, '.gitattributes'), text);
    const expected = await checkAttr(names, paths);
    const actual = ours({ '': text }, names, paths);
    for (const path of paths) expect({ path, ...actual[path] }).toEqual({ path, ...expected[path] });
  });
});

describe('when attribute values come from several lines, files and macros', () => {
  it('gives the values git gives', async () => {
    const root = [
      '[attr]lang text eol=lf',
      '[attr]nested lang -diff',
      '*.php nested',
      'special.php -text eol=crlf',
      '*.cfg a=1 b',
      'x.cfg !a -b c=two',
      '*.bin binary',
      'weird=.txt a',
      '"quoted file.txt" q',
      '"esc\\tape.txt" q',
      '"bad\\quote.txt" q',
      'invalid.txt ok -bad! also',
    ].join('\n');
    const sub = ['*.php -eol', '[attr]local a', 'y.cfg local', '/anchored.cfg c=sub'].join('\n');
    await writeFile(join(temp.path, '.gitattributes'), root);
    await import('node:fs/promises').then((fs) => fs.mkdir(join(temp.path, 'sub'), { recursive: true }));
    await writeFile(join(temp.path, 'sub/.gitattributes'), sub);
    const names = ['text', 'eol', 'diff', 'merge', 'lang', 'nested', 'a', 'b', 'c', 'q', 'ok', 'also', 'local'];
    const asked = [
      'a.php',
      'special.php',
      'sub/a.php',
      'x.cfg',
      'y.cfg',
      'sub/y.cfg',
      'anchored.cfg',
      'sub/anchored.cfg',
      'sub/deeper/anchored.cfg',
      'data.bin',
      'weird=.txt',
      'quoted file.txt',
      'esc\tape.txt',
      'bad\\quote.txt',
      'invalid.txt',
    ];
    const expected = await checkAttr(names, asked);
    const actual = ours({ '': root, sub }, names, asked);
    for (const path of asked) expect({ path, ...actual[path] }).toEqual({ path, ...expected[path] });
  });
});
