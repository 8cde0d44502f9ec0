import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContentDigestBuilder, type ContentKind } from './content-digest.js';

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** One tree's entries in byte order of their paths (UTF-8 bytes, not UTF-16 code units: U+FF61 sorts before U+1F600 in UTF-8, after it in UTF-16). */
const SORTED: Array<{ mode: string; kind: ContentKind; path: string; content: string }> = [
  { mode: '100644', kind: 'file', path: 'README.md', content: '# Hello\n' },
  { mode: '100755', kind: 'executable', path: 'bin/run', content: '#!/bin/sh\n' },
  { mode: '120000', kind: 'symlink', path: 'link', content: 'src/Hello.php' },
  { mode: '100644', kind: 'file', path: 'src.php', content: '' },
  { mode: '100644', kind: 'file', path: 'src/Hello.php', content: '<?php\n' },
  { mode: '100644', kind: 'file', path: '\uFF61.txt', content: 'halfwidth' },
  { mode: '100644', kind: 'file', path: '\u{1F600}.txt', content: 'emoji' },
];

describe('when computing the content-tree digest', () => {
  it('hashes the listing docs/content-digest.md specifies, in byte order of the paths', () => {
    const builder = new ContentDigestBuilder();
    // Added out of order on purpose.
    for (const i of [6, 4, 1, 5, 2, 0, 3]) builder.add(SORTED[i]!.path, SORTED[i]!.kind, sha(SORTED[i]!.content));

    const listing = SORTED.map(({ mode, path, content }) => `${mode} ${sha(content).toString('hex')} ${path}\0`).join(
      '',
    );
    const expected = createHash('sha256').update(`phpublish-tree-v1\n${listing}`, 'utf8').digest('hex');
    expect(builder.digest()).toBe(`phpublish-tree-v1:sha256:${expected}`);
    expect(builder.count).toBe(7);
  });

  it('gives the same digest when entries come in order and are hashed as they come, and refuses disorder then', () => {
    const kept = new ContentDigestBuilder();
    const streamed = new ContentDigestBuilder({ ordered: true });
    for (const { path, kind, content } of SORTED) {
      kept.add(path, kind, sha(content));
      streamed.add(path, kind, sha(content));
    }
    expect(streamed.digest()).toBe(kept.digest());
    expect(streamed.count).toBe(SORTED.length);

    const disordered = new ContentDigestBuilder({ ordered: true });
    disordered.add('src/Hello.php', 'file', sha('<?php\n'));
    expect(() => disordered.add('src.php', 'file', sha(''))).toThrow(/does not come after/);
    expect(() => disordered.add('src/Hello.php', 'file', sha(''))).toThrow(/does not come after/);
  });

  it('gives the same digest in order over many entries, non-ASCII paths and a path longer than its line buffer', () => {
    const kept = new ContentDigestBuilder();
    const streamed = new ContentDigestBuilder({ ordered: true });
    const entries: Array<{ path: string; kind: 'file' | 'executable' | 'symlink' }> = [];
    for (let i = 0; i < 3000; i++) entries.push({ path: `src/F${String(i).padStart(5, '0')}.php`, kind: 'file' });
    entries.push({ path: `src/${'x'.repeat(70_000)}`, kind: 'executable' });
    entries.push({ path: 'src/\u00e9t\u00e9/caf\u00e9.php', kind: 'symlink' });
    for (const { path, kind } of entries) {
      kept.add(path, kind, sha(path));
      streamed.add(path, kind, sha(path));
    }
    expect(streamed.digest()).toBe(kept.digest());
    expect(streamed.count).toBe(entries.length);
  });

  it('gives the documented value for the example of docs/content-digest.md', () => {
    const builder = new ContentDigestBuilder();
    builder.add('composer.json', 'file', sha('{"name":"acme/hello"}\n'));
    builder.add('src/Hello.php', 'file', sha('<?php\n'));
    builder.add('bin/hello', 'executable', sha('#!/usr/bin/env php\n'));
    builder.add('hello', 'symlink', sha('bin/hello'));
    expect(builder.digest()).toMatchInlineSnapshot(
      `"phpublish-tree-v1:sha256:e9cf03d10ee613fabbf4ac5c1c867c90697ee623c4e5f9ce4baa1c2d09197ce6"`,
    );
  });

  it('has a digest for an empty package too', () => {
    const empty = createHash('sha256').update('phpublish-tree-v1\n').digest('hex');
    expect(new ContentDigestBuilder().digest()).toBe(`phpublish-tree-v1:sha256:${empty}`);
  });
});
