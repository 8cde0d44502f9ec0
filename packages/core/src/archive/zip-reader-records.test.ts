import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { type CraftEntry, craftZip } from '@phpublish/testing/archive';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentDigestOfZip, contentDigestOfZipBytes } from './digest.js';

/**
 * The records around the entries, patched byte by byte in crafted zips: the end records (plain and
 * zip64), the central directory's headers and the data descriptors. Each lie is refused with its
 * code, from a file and from memory alike; each honest form is read.
 */

let temp: TempDir;
let counter = 0;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-zip-records-');
});
afterAll(async () => {
  await temp.cleanup();
});

/** The zip's digest, or its error code; from memory and from a file the outcome must be the same. */
async function outcomeOf(bytes: Buffer): Promise<string> {
  const file = join(temp.path, `patched-${counter++}.zip`);
  await writeFile(file, bytes);
  const outcome = (digest: Promise<{ contentDigest: string }>) =>
    digest.then(
      (value) => value.contentDigest,
      (error: { code?: string; message: string }) => error.code ?? error.message,
    );
  const fromMemory = await outcome(contentDigestOfZipBytes(bytes, file));
  expect(await outcome(contentDigestOfZip(file))).toBe(fromMemory);
  return fromMemory;
}

const file = (name: string, text: string, extra: Partial<CraftEntry> = {}): CraftEntry => ({
  name,
  content: Buffer.from(text),
  ...extra,
});

const END_SIZE = 22;
/** A crafted zip (no comment) with where its end record and its central directory start. */
function zipOf(entries: CraftEntry[]) {
  const bytes = craftZip(entries);
  const end = bytes.length - END_SIZE;
  return { bytes, end, central: bytes.readUInt32LE(end + 16) };
}

/**
 * The zip with a zip64 end record and its locator before the plain end record, whose count, size
 * and offset then say "see the zip64 record" (all ones), as a zip64 writer makes it.
 * `patch` changes the zip64 record or the locator before they are written.
 */
function withZip64End(
  entries: CraftEntry[],
  patch: (record: Buffer, locator: Buffer) => void = () => {},
  { gap = Buffer.alloc(0) } = {},
): Buffer {
  const { bytes, end, central } = zipOf(entries);
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(0x032d, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(entries.length), 24);
  record.writeBigUInt64LE(BigInt(entries.length), 32);
  record.writeBigUInt64LE(BigInt(end - central), 40);
  record.writeBigUInt64LE(BigInt(central), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(end), 8);
  locator.writeUInt32LE(1, 16);
  patch(record, locator);
  const plainEnd = Buffer.from(bytes.subarray(end));
  plainEnd.writeUInt16LE(0xffff, 8);
  plainEnd.writeUInt16LE(0xffff, 10);
  plainEnd.writeUInt32LE(0xffffffff, 12);
  plainEnd.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([bytes.subarray(0, end), record, gap, locator, plainEnd]);
}

const ENTRIES = [file('a.php', '<?php // a'), file('src/b.php', '<?php // b', { method: 8 })];

describe('when a zip ends with zip64 end records', () => {
  it('reads them as it reads the plain end record: the same contents, the same digest', async () => {
    const plain = await outcomeOf(zipOf(ENTRIES).bytes);
    expect(plain).toMatch(/sha256:[0-9a-f]{64}$/);
    expect(await outcomeOf(withZip64End(ENTRIES))).toBe(plain);
  });

  it('refuses a locator that points at no zip64 end record', async () => {
    const zip = withZip64End(ENTRIES, (record) => record.writeUInt32LE(0x12345678, 0));
    expect(await outcomeOf(zip)).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('refuses bytes hidden between the zip64 end record and its locator', async () => {
    expect(await outcomeOf(withZip64End(ENTRIES, undefined, { gap: Buffer.from('hidden') }))).toBe(
      'ARCHIVE_ZIP_INVALID',
    );
  });

  it('refuses zip64 end records whose counts disagree with each other', async () => {
    const zip = withZip64End(ENTRIES, (record) => record.writeBigUInt64LE(5n, 24));
    expect(await outcomeOf(zip)).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('refuses a plain end record that says something else than the zip64 one', async () => {
    const zip = withZip64End(ENTRIES);
    // The plain record's own central directory offset (not "see zip64") must then agree: it does not.
    zip.writeUInt32LE(7, zip.length - END_SIZE + 16);
    expect(await outcomeOf(zip)).toBe('ARCHIVE_ZIP_INVALID');
  });

  it.each([
    ['the locator', (_record: Buffer, locator: Buffer) => locator.writeUInt32LE(2, 16)],
    ['the zip64 end record', (record: Buffer) => record.writeUInt32LE(1, 16)],
  ])('refuses a zip split over several disks, as %s says, with ARCHIVE_ZIP_UNSUPPORTED', async (_where, patch) => {
    expect(await outcomeOf(withZip64End(ENTRIES, patch))).toBe('ARCHIVE_ZIP_UNSUPPORTED');
  });
});

describe('when the plain end record lies', () => {
  it('refuses a zip split over several disks with ARCHIVE_ZIP_UNSUPPORTED', async () => {
    const { bytes, end } = zipOf(ENTRIES);
    bytes.writeUInt16LE(1, end + 4);
    expect(await outcomeOf(bytes)).toBe('ARCHIVE_ZIP_UNSUPPORTED');
  });

  it('refuses two different entry counts in the one record', async () => {
    const { bytes, end } = zipOf(ENTRIES);
    bytes.writeUInt16LE(1, end + 8);
    expect(await outcomeOf(bytes)).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('refuses a central directory that does not reach the end record', async () => {
    const { bytes, end } = zipOf(ENTRIES);
    bytes.writeUInt32LE(bytes.readUInt32LE(end + 12) - 1, end + 12);
    expect(await outcomeOf(bytes)).toBe('ARCHIVE_ZIP_INVALID');
  });
});

describe('when a central directory header lies', () => {
  /** The zip with its first central directory header patched. */
  const patchedCentral = (entries: CraftEntry[], patch: (header: Buffer) => void) => {
    const { bytes, central } = zipOf(entries);
    patch(bytes.subarray(central));
    return bytes;
  };

  it('refuses a damaged header signature', async () => {
    const zip = patchedCentral(ENTRIES, (header) => header.writeUInt32LE(0x04034b50, 0));
    expect(await outcomeOf(zip)).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('refuses a name that runs past the central directory', async () => {
    const zip = patchedCentral([file('a.php', 'x')], (header) => header.writeUInt16LE(200, 28));
    expect(await outcomeOf(zip)).toBe('ARCHIVE_ZIP_INVALID');
  });

  it.each([
    ['size', 24],
    ['compressed size', 20],
    ['local header offset', 42],
  ])('refuses a %s that says "see zip64" with no zip64 field', async (_field, at) => {
    const zip = patchedCentral([file('a.php', 'x')], (header) => header.writeUInt32LE(0xffffffff, at));
    expect(await outcomeOf(zip)).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('refuses an entry on another disk with ARCHIVE_ZIP_UNSUPPORTED', async () => {
    const zip = patchedCentral([file('a.php', 'x')], (header) => header.writeUInt16LE(1, 34));
    expect(await outcomeOf(zip)).toBe('ARCHIVE_ZIP_UNSUPPORTED');
  });

  it('refuses a local header that names another compression method than the central directory', async () => {
    const { bytes } = zipOf([file('a.php', 'x', { method: 8 })]);
    bytes.writeUInt16LE(0, 8); // the local header, at offset 0: stored instead of deflated
    expect(await outcomeOf(bytes)).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('refuses a central directory header that points at no local header', async () => {
    const zip = patchedCentral([file('a.php', 'x')], (header) => header.writeUInt32LE(4, 42));
    expect(await outcomeOf(zip)).toBe('ARCHIVE_ZIP_INVALID');
  });
});

describe('when an entry keeps its sizes in a zip64 extra field', () => {
  /**
   * A zip of `a.php` (then `b.php`) whose first central header says "see zip64" (all ones) in the
   * fields `marked` (central header offsets) and carries `extra` after its name.
   */
  const withExtra = (marked: number[], extra: Buffer) => {
    const { bytes, end, central } = zipOf([file('a.php', '<?php // a'), file('b.php', 'b')]);
    const header = Buffer.from(bytes.subarray(central, central + 46 + 'a.php'.length));
    for (const at of marked) {
      if (at === 34) header.writeUInt16LE(0xffff, at);
      else header.writeUInt32LE(0xffffffff, at);
    }
    header.writeUInt16LE(extra.length, 30);
    const endRecord = Buffer.from(bytes.subarray(end));
    endRecord.writeUInt32LE(end - central + extra.length, 12);
    return Buffer.concat([
      bytes.subarray(0, central),
      header,
      extra,
      bytes.subarray(central + header.length, end),
      endRecord,
    ]);
  };
  /** An extra field: its id, its length, its data. */
  const field = (id: number, data: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(id, 0);
    head.writeUInt16LE(data.length, 2);
    return Buffer.concat([head, data]);
  };
  const u64s = (...values: number[]) => {
    const data = Buffer.alloc(8 * values.length);
    for (const [i, value] of values.entries()) data.writeBigUInt64LE(BigInt(value), 8 * i);
    return data;
  };
  const SIZE = 24;
  const COMPRESSED = 20;
  const OFFSET = 42;
  const DISK = 34;
  const timestamp = field(0x5455, Buffer.from([1, 0, 0, 0, 0]));

  it('reads the size, compressed size and offset from it, after other extra fields, as from the header', async () => {
    const plain = await outcomeOf(zipOf([file('a.php', '<?php // a'), file('b.php', 'b')]).bytes);
    const length = '<?php // a'.length;
    const zip = withExtra([SIZE, COMPRESSED, OFFSET], Buffer.concat([timestamp, field(1, u64s(length, length, 0))]));
    expect(await outcomeOf(zip)).toBe(plain);
  });

  it('refuses a zip64 field with fewer values than the header sends it to', async () => {
    expect(await outcomeOf(withExtra([SIZE, COMPRESSED], field(1, u64s(10))))).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('refuses an extra field that runs past the extra data, hiding the zip64 field', async () => {
    const damaged = field(0x5455, Buffer.alloc(2));
    damaged.writeUInt16LE(40, 2);
    expect(await outcomeOf(withExtra([SIZE], Buffer.concat([damaged, field(1, u64s(10))])))).toBe(
      'ARCHIVE_ZIP_INVALID',
    );
  });

  it('refuses an entry whose disk number is in the zip64 field, with ARCHIVE_ZIP_UNSUPPORTED', async () => {
    expect(await outcomeOf(withExtra([DISK], field(1, Buffer.alloc(4))))).toBe('ARCHIVE_ZIP_UNSUPPORTED');
  });
});

describe('when a zip is damaged or too large to read', () => {
  it('refuses an entry whose local header is missing', async () => {
    const { bytes, central } = zipOf([file('a.php', 'a'), file('b.php', 'b')]);
    const second = bytes.readUInt32LE(central + 46 + 'a.php'.length + 42);
    bytes.writeUInt32LE(0, second);
    expect(await outcomeOf(bytes)).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('refuses a central directory of more than 64 MiB with ARCHIVE_ZIP_UNSUPPORTED, without reading it', async () => {
    const central = Buffer.alloc(64 * 1024 * 1024 + 1);
    const end = Buffer.alloc(END_SIZE);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt32LE(central.length, 12);
    const error = await contentDigestOfZipBytes(Buffer.concat([central, end]), 'huge.zip').catch((e) => e);
    expect(error.code).toBe('ARCHIVE_ZIP_UNSUPPORTED');
  });
});

describe('when an entry too large to inflate at once is streamed', () => {
  // Random bytes do not compress: more than the 1 MiB the reader inflates in one call.
  const content = randomBytes(1536 * 1024);
  const deflated = deflateRawSync(content);
  const large = (extra: Partial<CraftEntry>): CraftEntry => ({ name: 'big.bin', method: 8, content, ...extra });

  it('reads it as the same bytes', async () => {
    const stored = await outcomeOf(zipOf([{ name: 'big.bin', content }]).bytes);
    expect(await outcomeOf(zipOf([large({})]).bytes)).toBe(stored);
  });

  it.each([
    ['a wrong CRC-32', { crc: 1234 }],
    ['deflate data cut short', { data: deflated.subarray(0, deflated.length - 1000) }],
    ['bytes after its deflate data', { data: Buffer.concat([deflated, Buffer.from('junk')]) }],
    ['more bytes than it declares', { size: content.length - 1 }],
    ['fewer bytes than it declares', { size: content.length + 1 }],
  ])('refuses %s with ARCHIVE_ZIP_INVALID', async (_what, extra) => {
    expect(await outcomeOf(zipOf([large(extra)]).bytes)).toBe('ARCHIVE_ZIP_INVALID');
  });
});

describe('when a symbolic link declares a target longer than any path', () => {
  it('refuses it with ARCHIVE_SYMLINK_ESCAPES before reading its target', async () => {
    const SYMLINK = (0o120777 << 16) >>> 0;
    const zip = zipOf([file('link', 'a'.repeat(4096), { externalAttributes: SYMLINK })]).bytes;
    expect(await outcomeOf(zip)).toBe('ARCHIVE_SYMLINK_ESCAPES');
    const longest = zipOf([file('link', 'a'.repeat(4095), { externalAttributes: SYMLINK })]).bytes;
    expect(await outcomeOf(longest)).toMatch(/sha256:/);
  });
});

describe('when an entry says what kind of file it is', () => {
  const UNIX = 0x0314;
  const DOS = 0x0014;
  it.each([
    ['a name ending in a slash with a regular file mode', 'dir/', UNIX, (0o100644 << 16) >>> 0, 'ARCHIVE_ZIP_INVALID'],
    ['a directory mode without a trailing slash', 'dir', UNIX, (0o040755 << 16) >>> 0, 'ARCHIVE_ZIP_UNSUPPORTED'],
    ['an MS-DOS directory attribute without a trailing slash', 'dir', DOS, 0x10, 'ARCHIVE_ZIP_UNSUPPORTED'],
  ])('refuses %s', async (_what, name, versionMadeBy, externalAttributes, code) => {
    const zip = zipOf([{ name, versionMadeBy, externalAttributes }]).bytes;
    expect(await outcomeOf(zip)).toBe(code);
  });

  it('reads a directory entry, and an MS-DOS one, as the folder they name', async () => {
    const withFolder = await outcomeOf(zipOf([{ name: 'src/' }, file('src/a.php', 'x')]).bytes);
    const dosFolder = zipOf([{ name: 'src/', versionMadeBy: DOS, externalAttributes: 0x10 }, file('src/a.php', 'x')]);
    expect(await outcomeOf(dosFolder.bytes)).toBe(withFolder);
    expect(await outcomeOf(zipOf([file('src/a.php', 'x')]).bytes)).toBe(withFolder);
  });
});

describe('when entries are followed by data descriptors', () => {
  const content = Buffer.from('<?php echo "streamed";\n');
  const deflated = deflateRawSync(content);
  /** The descriptor a streaming writer appends after the data: [signature,] CRC, sizes. */
  const descriptor = (signed: boolean, sizes: number[], crc: number) => {
    const fields = Buffer.alloc(4 + 4 * sizes.length);
    fields.writeUInt32LE(crc >>> 0, 0);
    for (const [i, size] of sizes.entries()) fields.writeUInt32LE(size, 4 + 4 * i);
    if (!signed) return fields;
    const signature = Buffer.alloc(4);
    signature.writeUInt32LE(0x08074b50, 0);
    return Buffer.concat([signature, fields]);
  };
  const streamed = (tail: Buffer): CraftEntry => ({
    name: 'a.php',
    method: 8,
    flags: 0x0008,
    content,
    data: Buffer.concat([deflated, tail]),
    compressedSize: deflated.length,
  });

  it('reads them with or without their signature, with 32-bit or 64-bit sizes', async () => {
    const expected = await outcomeOf(zipOf([file('a.php', content.toString(), { method: 8 }), file('b', 'b')]).bytes);
    const crc = zipOf([streamed(Buffer.alloc(0))]).bytes.readUInt32LE(14);
    for (const tail of [
      descriptor(true, [deflated.length, content.length], crc),
      descriptor(false, [deflated.length, content.length], crc),
      descriptor(true, [deflated.length, 0, content.length, 0], crc),
      descriptor(false, [deflated.length, 0, content.length, 0], crc),
    ]) {
      expect(await outcomeOf(zipOf([streamed(tail), file('b', 'b')]).bytes)).toBe(expected);
    }
  });

  it('refuses bytes hidden after a data descriptor', async () => {
    const tail = Buffer.concat([descriptor(true, [deflated.length, content.length], 0), Buffer.from('hidden!!')]);
    expect(await outcomeOf(zipOf([streamed(tail), file('b', 'b')]).bytes)).toBe('ARCHIVE_ZIP_INVALID');
  });

  it('refuses a data descriptor cut short by the central directory', async () => {
    expect(await outcomeOf(zipOf([streamed(Buffer.from([1, 2]))]).bytes)).toBe('ARCHIVE_ZIP_OVERLAP');
  });
});
