import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContentDigestBuilder } from './content-digest.js';

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest();

describe('when computing the content-tree digest', () => {
  it('hashes the listing docs/content-digest.md specifies, in byte order of the paths', () => {
    const builder = new ContentDigestBuilder();
    // Added out of order on purpose; the paths sort by their UTF-8 bytes, not by UTF-16 code units
    // (U+FF61 sorts before U+1F600 in UTF-8, after it in UTF-16).
    builder.add('\u{1F600}.txt', 'file', sha('emoji'));
    builder.add('src/Hello.php', 'file', sha('<?php\n'));
    builder.add('bin/run', 'executable', sha('#!/bin/sh\n'));
    builder.add('\uFF61.txt', 'file', sha('halfwidth'));
    builder.add('link', 'symlink', sha('src/Hello.php'));
    builder.add('README.md', 'file', sha('# Hello\n'));
    builder.add('src.php', 'file', sha(''));

    const listing = [
      ['100644', 'README.md', '# Hello\n'],
      ['100755', 'bin/run', '#!/bin/sh\n'],
      ['120000', 'link', 'src/Hello.php'],
      ['100644', 'src.php', ''],
      ['100644', 'src/Hello.php', '<?php\n'],
      ['100644', '\uFF61.txt', 'halfwidth'],
      ['100644', '\u{1F600}.txt', 'emoji'],
    ]
      .map(([mode, path, content]) => `${mode} ${sha(content!).toString('hex')} ${path}\0`)
      .join('');
    const expected = createHash('sha256').update(`phpublish-tree-v1\n${listing}`, 'utf8').digest('hex');
    expect(builder.digest()).toBe(`phpublish-tree-v1:sha256:${expected}`);
    expect(builder.count).toBe(7);
  });

  it('gives the same digest when entries come in order and are hashed as they come, and refuses disorder then', () => {
    const entries: Array<[string, 'file' | 'executable' | 'symlink', string]> = [
      ['README.md', 'file', '# Hello\n'],
      ['bin/run', 'executable', '#!/bin/sh\n'],
      ['link', 'symlink', 'src/Hello.php'],
      ['src.php', 'file', ''],
      ['src/Hello.php', 'file', '<?php\n'],
      ['\uFF61.txt', 'file', 'halfwidth'],
      ['\u{1F600}.txt', 'file', 'emoji'],
    ];
    const kept = new ContentDigestBuilder();
    const streamed = new ContentDigestBuilder({ ordered: true });
    for (const [path, kind, content] of entries) {
      kept.add(path, kind, sha(content));
      streamed.add(path, kind, sha(content));
    }
    expect(streamed.digest()).toBe(kept.digest());
    expect(streamed.count).toBe(entries.length);

    const disordered = new ContentDigestBuilder({ ordered: true });
    disordered.add('src/Hello.php', 'file', sha('<?php\n'));
    expect(() => disordered.add('src.php', 'file', sha(''))).toThrow(/does not come after/);
    expect(() => disordered.add('src/Hello.php', 'file', sha(''))).toThrow(/does not come after/);
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
