import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { type CraftEntry, type CraftOptions, craftZip } from '@phpublish/testing/archive';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentDigestBuilder } from './content-digest.js';
import { contentDigestOfZip, contentDigestOfZipBytes } from './digest.js';

/** Zips crafted byte by byte: the reader must refuse each trick with its code, and never follow one. */

let temp: TempDir;
let counter = 0;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-zip-reader-');
});
afterAll(async () => {
  await temp.cleanup();
});

/** The digest read from a file; read from memory (no scratch file), the zip must give the same digest or error. */
async function digestOf(entries: CraftEntry[], options?: CraftOptions) {
  const bytes = craftZip(entries, options);
  const file = join(temp.path, `crafted-${counter++}.zip`);
  await writeFile(file, bytes);
  const outcome = (digest: Promise<unknown>) =>
    digest.then(
      (value) => ({ value }),
      (error: { code?: string; message: string }) => ({ error: error.code ?? error.message }),
    );
  const fromMemory = await outcome(contentDigestOfZipBytes(bytes, file));
  const fromFile = await outcome(contentDigestOfZip(file));
  expect(fromMemory).toEqual(fromFile);
  return contentDigestOfZip(file);
}

async function codeOf(entries: CraftEntry[], options?: CraftOptions): Promise<string> {
  return digestOf(entries, options).then(
    () => 'no error',
    (error: { code?: string; message: string }) => error.code ?? error.message,
  );
}

const file = (name: string, text: string, extra: Partial<CraftEntry> = {}): CraftEntry => ({
  name,
  content: Buffer.from(text),
  ...extra,
});
const sha = (text: string) => createHash('sha256').update(text).digest();
const SYMLINK = (0o120777 << 16) >>> 0;

describe('when a zip is well formed', () => {
  it('digests it like the spec says, stored or deflated, with or without a top-level folder', async () => {
    const expected = new ContentDigestBuilder();
    expected.add('a.php', 'file', sha('<?php // a'));
    expected.add('bin/run', 'executable', sha('#!/bin/sh\n'));
    expected.add('link', 'symlink', sha('a.php'));
    const flat = await digestOf([
      file('a.php', '<?php // a', { method: 8 }),
      { name: 'bin/' },
      file('bin/run', '#!/bin/sh\n', { externalAttributes: (0o100755 << 16) >>> 0 }),
      file('link', 'a.php', { externalAttributes: SYMLINK }),
    ]);
    expect(flat).toEqual({ contentDigest: expected.digest(), files: 2, symlinks: 1, folder: undefined });
    const folded = await digestOf([
      { name: 'acme-hello-1a2b3c4/' },
      file('acme-hello-1a2b3c4/a.php', '<?php // a'),
      file('acme-hello-1a2b3c4/bin/run', '#!/bin/sh\n', { externalAttributes: (0o100755 << 16) >>> 0 }),
      file('acme-hello-1a2b3c4/link', 'a.php', { externalAttributes: SYMLINK, method: 8 }),
    ]);
    expect(folded).toEqual({ ...flat, folder: 'acme-hello-1a2b3c4/' });
  });

  it('reads modes only from zips made on Unix, as git and GitHub record them', async () => {
    // Made on MS-DOS (host 0): the mode bits mean nothing, the file is a plain file.
    const dos = await digestOf([
      file('run', 'x', { versionMadeBy: 0x0014, externalAttributes: (0o100755 << 16) >>> 0 }),
    ]);
    const plain = await digestOf([file('run', 'x', { externalAttributes: 0 })]);
    expect(dos.contentDigest).toBe(plain.contentDigest);
  });
});

describe('when a zip names a path outside the package', () => {
  it.each([
    ['../evil.php'],
    ['folder/../../evil.php'],
    ['/etc/passwd'],
    ['C:/Windows/evil.dll'],
    ['a\\..\\..\\evil.php'],
    ['a//b.php'],
    ['./a.php'],
    ['.git/hooks/post-checkout'],
    ['new\nline.php'],
  ])('refuses %j with ARCHIVE_PATH_UNSAFE', async (name) => {
    expect(await codeOf([file('ok.php', 'x'), file(name, 'evil')])).toBe('ARCHIVE_PATH_UNSAFE');
  });

  it('refuses a name that is not UTF-8', async () => {
    expect(await codeOf([file(Buffer.from([0x61, 0xff, 0x2e, 0x70]) as unknown as string, 'x')])).toBe(
      'ARCHIVE_PATH_NOT_UTF8',
    );
  });
});

describe('when a zip holds the same place twice', () => {
  it.each([
    [['a.php', 'a.php']],
    [['Readme.md', 'README.md']],
    [['caf\u00e9.php', 'cafe\u0301.php']],
    [['x', 'x/y.php']],
    [['x/y.php', 'x']],
  ])('refuses %j with ARCHIVE_DUPLICATE_PATH', async (names) => {
    expect(await codeOf(names.map((n) => file(n, n)))).toBe('ARCHIVE_DUPLICATE_PATH');
  });

  it('refuses a file written through a symlink of the same zip', async () => {
    const entries = [file('link', '/etc', { externalAttributes: SYMLINK }), file('link/passwd', 'root::0:0')];
    expect(await codeOf(entries)).toBe('ARCHIVE_DUPLICATE_PATH');
  });
});

describe('when entries of a zip share or hide bytes', () => {
  it('refuses two entries pointing at the same local header', async () => {
    const entries = [file('a.php', 'same'), file('b.php', 'same', { centralOnly: true, centralOffset: 0 })];
    expect(await codeOf(entries)).toBe('ARCHIVE_ZIP_OVERLAP');
  });

  it('refuses an entry whose data runs into the next entry', async () => {
    const long = file('a.php', 'aaaa', { compressedSize: 40, size: 40 });
    expect(await codeOf([long, file('b.php', 'bbbb')])).toBe('ARCHIVE_ZIP_OVERLAP');
  });

  it('refuses bytes hidden between entries and the central directory, or before the first entry', async () => {
    expect(await codeOf([file('a.php', 'a')], { gap: Buffer.from('hidden') })).toBe('ARCHIVE_ZIP_INVALID');
    expect(await codeOf([file('a.php', 'a')], { prepend: Buffer.from('#!/bin/sh stub\n') })).toBe(
      'ARCHIVE_ZIP_INVALID',
    );
  });

  it('refuses a local header that names another file than the central directory', async () => {
    expect(await codeOf([file('a.php', 'x', { localName: 'evil.php' })])).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('refuses a directory entry that carries data', async () => {
    expect(await codeOf([{ name: 'dir/', content: Buffer.from('hidden payload') }])).toBe('ARCHIVE_ZIP_INVALID');
  });
});

describe('when a zip lies about its contents', () => {
  it('refuses a wrong CRC-32', async () => {
    expect(await codeOf([file('a.php', 'x', { crc: 1234 })])).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('stops inflating at the declared size (a zip bomb) and refuses', async () => {
    const bomb = deflateRawSync(Buffer.alloc(50 * 1024 * 1024));
    const started = Date.now();
    expect(await codeOf([{ name: 'bomb.txt', method: 8, data: bomb, size: 100, crc: 0 }])).toBe('ARCHIVE_ZIP_INVALID');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses fewer bytes than declared, two sizes for a stored entry, and bytes after a deflate stream', async () => {
    expect(await codeOf([file('a.php', 'abc', { method: 8, size: 10 })])).toBe('ARCHIVE_ZIP_INVALID');
    expect(await codeOf([file('a.php', 'abc', { size: 10 })])).toBe('ARCHIVE_ZIP_INVALID');
    const trailing = Buffer.concat([deflateRawSync(Buffer.from('abc')), Buffer.from('junk')]);
    expect(await codeOf([{ name: 'a.php', method: 8, data: trailing, content: Buffer.from('abc') }])).toBe(
      'ARCHIVE_ZIP_INVALID',
    );
  });

  it('refuses a count of entries that does not match the central directory', async () => {
    expect(await codeOf([file('a.php', 'x')], { endEntries: 2 })).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('refuses something that is not a zip, a truncated zip and two end records', async () => {
    const zip = craftZip([file('a.php', 'x')]);
    const notZip = join(temp.path, 'not.zip');
    await writeFile(notZip, 'just text');
    expect(await contentDigestOfZip(notZip).catch((e) => e.code)).toBe('ARCHIVE_ZIP_INVALID');
    const truncated = join(temp.path, 'truncated.zip');
    await writeFile(truncated, zip.subarray(0, zip.length - 5));
    expect(await contentDigestOfZip(truncated).catch((e) => e.code)).toBe('ARCHIVE_ZIP_INVALID');
    // A comment that is itself an end record fitting to the end: two readers could pick either.
    const fake = zip.subarray(zip.length - 22);
    const twoEnds = craftZip([file('a.php', 'x')], { comment: Buffer.from(fake) });
    expect(await codeOf([], { prepend: Buffer.alloc(0) })).toBe('no error');
    const ambiguous = join(temp.path, 'ambiguous.zip');
    await writeFile(ambiguous, twoEnds);
    expect(await contentDigestOfZip(ambiguous).catch((e) => e.code)).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('says which file it could not read', async () => {
    const error = await contentDigestOfZip(join(temp.path, 'missing.zip')).catch((e) => e);
    expect(error.code).toBe('ARCHIVE_INPUT_UNREADABLE');
  });
});

describe('when a zip uses features phpublish does not read', () => {
  it.each([
    ['encryption', { flags: 1 }],
    ['another compression method', { method: 12 }],
    ['a device file', { externalAttributes: (0o020644 << 16) >>> 0 }],
    ['a FIFO', { externalAttributes: (0o010644 << 16) >>> 0 }],
  ])('refuses %s with ARCHIVE_ZIP_UNSUPPORTED', async (_what, extra) => {
    expect(await codeOf([file('a.php', 'x', extra as Partial<CraftEntry>)])).toBe('ARCHIVE_ZIP_UNSUPPORTED');
  });
});

describe('when a zip holds symbolic links', () => {
  it.each([
    ['an absolute target', [['link', '/etc/passwd']]],
    ['a target above the package', [['src/link', '../../outside']]],
    [
      'a chain that climbs out through another link',
      [
        ['d/up', '..'],
        ['escape', 'd/up/..'],
      ],
    ],
    [
      'a loop',
      [
        ['a', 'b'],
        ['b', 'a'],
      ],
    ],
  ])('refuses %s with ARCHIVE_SYMLINK_ESCAPES', async (_what, links) => {
    const entries = (links as string[][]).map(([name, target]) =>
      file(name!, target!, { externalAttributes: SYMLINK }),
    );
    expect(await codeOf(entries)).toBe('ARCHIVE_SYMLINK_ESCAPES');
  });

  it('accepts links that stay inside, even dangling ones', async () => {
    const entries = [
      file('src/a.php', 'x'),
      file('src/link', 'a.php', { externalAttributes: SYMLINK }),
      file('up', 'src/../src/a.php', { externalAttributes: SYMLINK }),
      file('dangling', 'nowhere/file', { externalAttributes: SYMLINK }),
    ];
    expect(await codeOf(entries)).toBe('no error');
  });
});

describe('when everything in a zip lies in one top-level folder', () => {
  it.each([
    ['..', 'ARCHIVE_PATH_UNSAFE'],
    ['.', 'ARCHIVE_PATH_UNSAFE'],
    ['.git', 'ARCHIVE_PATH_UNSAFE'],
    ['.GIT', 'ARCHIVE_PATH_UNSAFE'],
    ['.git.', 'ARCHIVE_PATH_UNSAFE'],
    ['git~1', 'ARCHIVE_PATH_UNSAFE'],
    ['C:', 'ARCHIVE_PATH_UNSAFE'],
    ['..\\..\\Windows', 'ARCHIVE_PATH_UNSAFE'],
    ['acme\nhello', 'ARCHIVE_PATH_UNSAFE'],
    ['acme\0hello', 'ARCHIVE_PATH_UNSAFE'],
    ['CON', 'ARCHIVE_PATH_UNSAFE'],
    ['acme:hello', 'ARCHIVE_PATH_UNSAFE'],
    ['a'.repeat(256), 'ARCHIVE_PATH_UNSAFE'],
    [Buffer.from([0x61, 0xff, 0x62]), 'ARCHIVE_PATH_NOT_UTF8'],
  ])('checks the folder %j like any path: %s', async (folder, code) => {
    const top = Buffer.concat([Buffer.from(folder as string | Buffer), Buffer.from('/')]);
    const inside = (name: string) => Buffer.concat([top, Buffer.from(name)]);
    const withEntry = [
      { name: top },
      file(inside('composer.json') as never, '{}'),
      file(inside('src/A.php') as never, '<?php'),
    ];
    expect(await codeOf(withEntry)).toBe(code);
    // Without an entry of its own for the folder, too.
    expect(await codeOf(withEntry.slice(1))).toBe(code);
  });

  it.each([
    ['../evil.php'],
    ['.git/config'],
    ['C:/evil.php'],
    ['..\\..\\Windows/evil.dll'],
    ['git~1/hooks/post-checkout'],
  ])('refuses a zip whose one entry is %j', async (name) => {
    expect(await codeOf([file(name, '<?php')])).toBe('ARCHIVE_PATH_UNSAFE');
  });

  it('names the folder it looked inside, as text', async () => {
    const digest = await digestOf([file('caf\u00e9-1a2b3c4/a.php', 'x')]);
    expect(digest.folder).toBe('caf\u00e9-1a2b3c4/');
  });
});

describe('when a zip would unpack to more than allowed', () => {
  it('refuses entries that declare more bytes in all than the limit, before reading any', async () => {
    // Three entries of 1 MiB of zeros, which deflate to about 1 KiB each.
    const mib = Buffer.alloc(1024 * 1024);
    const entries = ['a', 'b', 'c'].map((name) => file(`pkg/${name}.bin`, '', { content: mib, method: 8 }));
    const bytes = craftZip(entries);
    expect(bytes.length).toBeLessThan(20 * 1024);
    const limited = (maxUnpackedBytes: number) =>
      contentDigestOfZipBytes(bytes, 'bomb.zip', { maxUnpackedBytes }).then(
        (digest) => digest.files,
        (error) => error.code,
      );
    expect(await limited(3 * 1024 * 1024 - 1)).toBe('ARCHIVE_UNPACKED_TOO_LARGE');
    expect(await limited(3 * 1024 * 1024)).toBe(3);
  });

  it('refuses by default a zip that declares more than 2 GiB, without inflating it', async () => {
    // A deflated entry that declares 3 GiB: read, it would be refused only after 3 GiB of work.
    const started = Date.now();
    const code = await codeOf([
      { name: 'big.bin', method: 8, data: deflateRawSync(Buffer.alloc(1024)), size: 3 * 2 ** 30, crc: 0 },
    ]);
    expect(code).toBe('ARCHIVE_UNPACKED_TOO_LARGE');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
