import { describe, expect, it } from 'vitest';
import { checkedPath, PathCollisions } from './paths.js';

/** 32-bit FNV-1a, the hash the collision check keeps of each folded path. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Two different lowercase paths with the same hash (found by the birthday bound, in well under a second). */
function sameHashPaths(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const path = `src/f${i.toString(36)}.php`;
    const other = seen.get(fnv1a(path));
    if (other !== undefined) return [other, path];
    seen.set(fnv1a(path), path);
  }
}

describe('when paths are checked for collisions', () => {
  it('tells apart paths whose hashes meet, and still refuses those that fold alike', () => {
    const [first, second] = sameHashPaths();
    expect(fnv1a(first)).toBe(fnv1a(second));
    const collisions = new PathCollisions();
    collisions.add(first, 'file');
    collisions.add(second, 'file');
    expect(() => collisions.add(second.toUpperCase(), 'file')).toThrow(
      expect.objectContaining({ code: 'ARCHIVE_DUPLICATE_PATH', message: expect.stringContaining(second) }),
    );
    expect(() => collisions.add(`SRC/${first.slice(4)}`, 'file')).toThrow(
      expect.objectContaining({ code: 'ARCHIVE_DUPLICATE_PATH', message: expect.stringContaining(first) }),
    );
  });

  it('still finds the paths added first after the set has grown many times', () => {
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
