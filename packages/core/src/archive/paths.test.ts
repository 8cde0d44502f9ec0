import { describe, expect, it } from 'vitest';
import { checkedPath, PathCollisions } from './paths.js';

describe('when paths are checked for collisions', () => {
  it('still finds the paths added first among many', () => {
    const collisions = new PathCollisions();
    const paths = Array.from({ length: 5000 }, (_, i) => `lib/part${i % 37}/File${i}.php`);
    for (const path of paths) collisions.add(path, 'file');
    expect(() => collisions.add('LIB/part0/file0.php', 'file')).toThrow(
      expect.objectContaining({
        code: 'ARCHIVE_DUPLICATE_PATH',
        message: expect.stringContaining('lib/part0/File0.php'),
      }),
    );
    expect(() => collisions.add('lib/PART36/file36.php/inner.php', 'file')).toThrow(
      expect.objectContaining({
        code: 'ARCHIVE_DUPLICATE_PATH',
        message: expect.stringContaining('lib/part36/File36.php'),
      }),
    );
    expect(() => collisions.add('lib/Part5', 'file')).toThrow(
      expect.objectContaining({ code: 'ARCHIVE_DUPLICATE_PATH' }),
    );
    collisions.add('lib/part37/File0.php', 'file');
  });

  it('refuses a file where a directory is, in another case or Unicode form', () => {
    const collisions = new PathCollisions();
    collisions.add('Docs/caf\u00e9.md', 'file');
    expect(() => collisions.add('docs', 'file')).toThrow(expect.objectContaining({ code: 'ARCHIVE_DUPLICATE_PATH' }));
    expect(() => collisions.add('docs/cafe\u0301.md', 'file')).toThrow(
      expect.objectContaining({ code: 'ARCHIVE_DUPLICATE_PATH' }),
    );
    // The Kelvin sign lowers to an ASCII k: the folded forms meet although one path is not ASCII.
    collisions.add('kelvin.txt', 'file');
    expect(() => collisions.add('\u212Aelvin.txt', 'file')).toThrow(
      expect.objectContaining({ code: 'ARCHIVE_DUPLICATE_PATH' }),
    );
  });
});

describe('when a raw path is read as text', () => {
  it('keeps a byte order mark at its start, as git archive keeps its bytes in the name', () => {
    const raw = Buffer.from('\uFEFFnotes.md', 'utf8').toString('latin1');
    expect(checkedPath(raw)).toBe('\uFEFFnotes.md');
    expect(Buffer.from(checkedPath(raw), 'utf8').toString('latin1')).toBe(raw);
  });
});

/** The code checkedPath throws for a path given as text (its UTF-8 bytes as a Latin-1 string), or 'accepted'. */
function verdict(path: string | Buffer): string {
  const raw = (typeof path === 'string' ? Buffer.from(path, 'utf8') : path).toString('latin1');
  try {
    checkedPath(raw);
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('when a path names .git the way some file system reads it', () => {
  it.each([
    ['.git', 'any platform'],
    ['.GiT/config', 'any case'],
    ['.git.', 'Windows drops trailing periods'],
    ['.git ', 'Windows drops trailing spaces'],
    ['src/.git . ./hooks/pre-commit', 'Windows drops trailing spaces and periods'],
    ['git~1/config', 'the 8.3 short name of .git'],
    ['GIT~1', 'short names in any case'],
    ['.git::$INDEX_ALLOCATION/config', 'an NTFS stream of .git'],
    ['.g\u200cit/hooks/post-checkout', 'HFS+ ignores zero-width non-joiners'],
    ['\u200d.git', 'HFS+ ignores zero-width joiners, also in front'],
    ['.GI\u200eT', 'HFS+ ignores direction marks'],
    ['.git\ufeff/config', 'HFS+ ignores zero-width no-break spaces'],
    ['.gi\u202et', 'HFS+ ignores direction overrides'],
    ['lib/.g\u206ait', 'HFS+ ignores symmetric swapping marks, at any depth'],
  ])('refuses %j (%s)', (path) => {
    expect(verdict(path)).toBe('ARCHIVE_PATH_UNSAFE');
  });

  it.each([
    ['.gitignore'],
    ['.gitattributes'],
    ['.github/workflows/ci.yml'],
    ['git'],
    ['.git-blame-ignore-revs'],
    ['x.git'],
    ['.g\u00e9it'],
  ])('accepts %j, which is not .git anywhere', (path) => {
    expect(verdict(path)).toBe('accepted');
  });
});

describe('when a path cannot be written on Windows', () => {
  it.each([
    ['CON', 'a device name'],
    ['con', 'device names in any case'],
    ['aux.php', 'a device name with an extension'],
    ['src/Nul.tar.gz', 'a device name at any depth'],
    ['lib/COM1/x.php', 'a device name as a directory'],
    ['LPT9.txt', 'a printer port'],
    ['com\u00b9.txt', 'a port with a superscript digit'],
    ['LPT\u00b2', 'a printer port with a superscript two'],
    ['src/Com\u00b3.php', 'a port with a superscript three'],
    ['PRN  .md', 'a device name with spaces before the extension'],
    ['CONIN$', 'the console input'],
    ['conout$.log', 'the console output'],
    ['a:b', 'an NTFS alternate data stream'],
    ['src/file.php:Zone.Identifier', 'a stream at any depth'],
    ['what?.php', 'a question mark'],
    ['star*.php', 'an asterisk'],
    ['a<b>.php', 'angle brackets'],
    ['pipe|.php', 'a pipe'],
    ['quote".php', 'a double quote'],
    ['trailing.', 'a trailing period, which Windows drops'],
    ['docs/trailing /x.md', 'a trailing space, which Windows drops'],
    ['...', 'only periods'],
    ['COMPOS~1.JSO', 'an 8.3 short name, which can name another file'],
    ['src/HELL~123.PHP', 'a short name with a longer number'],
  ])('refuses %j (%s)', (path) => {
    expect(verdict(path)).toBe('ARCHIVE_PATH_UNSAFE');
  });

  it.each([
    ['console.php'],
    ['auxiliary/Aux1.php'],
    ['nullable.php'],
    ['com.php'],
    ['COM10'],
    ['lpt.md'],
    ['conin.php'],
    ['src/Connection.php'],
    ['with space.txt'],
    [' leading-space.txt'],
    ['.hidden'],
    ['v1.2.3'],
    ['backup~'],
    ['notes~1.text'],
    ['long-name~1.php'],
    ['~1'],
    ['com\u00bd.txt'],
    ['NOTES~1.b.c'],
    ['caf\u00e9/\u00fcber.php'],
  ])('accepts %j', (path) => {
    expect(verdict(path)).toBe('accepted');
  });
});

describe('when a path is too long for a file system', () => {
  it('refuses a segment over 255 bytes, counted in UTF-8', () => {
    expect(verdict(`src/${'a'.repeat(255)}`)).toBe('accepted');
    expect(verdict(`src/${'a'.repeat(256)}/x.php`)).toBe('ARCHIVE_PATH_UNSAFE');
    // 128 two-byte characters: 128 characters, 256 bytes.
    expect(verdict('\u00e9'.repeat(127))).toBe('accepted');
    expect(verdict('\u00e9'.repeat(128))).toBe('ARCHIVE_PATH_UNSAFE');
  });

  it('still accepts long paths made of short segments', () => {
    expect(verdict(Array.from({ length: 100 }, () => 'segment').join('/'))).toBe('accepted');
  });

  it('refuses a whole path longer than a zip entry can name (65,535 bytes), and an empty one', () => {
    expect(verdict(Array.from({ length: 8192 }, () => 'segment').join('/'))).toBe('accepted');
    expect(verdict(Array.from({ length: 8193 }, () => 'segment').join('/'))).toBe('ARCHIVE_PATH_UNSAFE');
    expect(verdict('')).toBe('ARCHIVE_PATH_UNSAFE');
  });
});

describe('when a path holds bytes that are not text', () => {
  it.each([
    [Buffer.from('a\0b.php'), 'ARCHIVE_PATH_UNSAFE'],
    [Buffer.from('tab\there.php'), 'ARCHIVE_PATH_UNSAFE'],
    [Buffer.from('del\x7f.php'), 'ARCHIVE_PATH_UNSAFE'],
    [Buffer.from([0x61, 0xc0, 0xaf, 0x62]), 'ARCHIVE_PATH_NOT_UTF8'],
    [Buffer.from([0x2e, 0x2e, 0xc0, 0xaf, 0x78]), 'ARCHIVE_PATH_NOT_UTF8'],
  ])('refuses %j with %s', (path, code) => {
    expect(verdict(path)).toBe(code);
  });
});

describe('when paths differ only by characters HFS+ ignores', () => {
  it('refuses the second as installed at the same place as the first', () => {
    const collisions = new PathCollisions();
    collisions.add('src/Hello.php', 'file');
    expect(() => collisions.add('src/Hel\u200clo.php', 'file')).toThrow(
      expect.objectContaining({ code: 'ARCHIVE_DUPLICATE_PATH' }),
    );
    expect(() => collisions.add('\ufeffsrc/HELLO.php', 'file')).toThrow(
      expect.objectContaining({ code: 'ARCHIVE_DUPLICATE_PATH' }),
    );
  });
});
