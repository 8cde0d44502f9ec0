import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Writes zips byte by byte for hostile-input tests: every field can be set to a lie (names,
 * sizes, CRCs, offsets, modes), entries can share bytes, and bytes can be hidden or appended.
 */

export interface CraftEntry {
  name: string | Buffer;
  /** The uncompressed bytes (deflated when `method` is 8, unless `data` is given). */
  content?: Buffer;
  /** The bytes stored after the local header, as is. */
  data?: Buffer;
  method?: number;
  flags?: number;
  crc?: number;
  size?: number;
  compressedSize?: number;
  /** Default: Unix (3), version 2.0. */
  versionMadeBy?: number;
  /** Default: a regular file, mode 0644 (directories: 040755). */
  externalAttributes?: number;
  /** A different name in the local header than in the central directory. */
  localName?: string | Buffer;
  /** Point the central directory at another offset than where this entry's local header is written. */
  centralOffset?: number;
  /** Write no local header and data for this entry (it only exists in the central directory). */
  centralOnly?: boolean;
}

export interface CraftOptions {
  comment?: Buffer;
  /** Bytes before the first entry (as a self-extracting stub would be). */
  prepend?: Buffer;
  /** Bytes between the entries and the central directory. */
  gap?: Buffer;
  /** Change the entry count in the end record. */
  endEntries?: number;
}

const bytes = (name: string | Buffer) => (typeof name === 'string' ? Buffer.from(name, 'utf8') : name);

export function craftZip(entries: readonly CraftEntry[], options: CraftOptions = {}): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  if (options.prepend) push(options.prepend);
  const central: Buffer[] = [];
  for (const entry of entries) {
    const name = bytes(entry.name);
    const content = entry.content ?? Buffer.alloc(0);
    const method = entry.method ?? 0;
    const data = entry.data ?? (method === 8 ? deflateRawSync(content) : content);
    const crc = entry.crc ?? crc32(content);
    const size = entry.size ?? content.length;
    const compressedSize = entry.compressedSize ?? data.length;
    const flags = entry.flags ?? 0;
    const localName = bytes(entry.localName ?? name);
    const isDir = name[name.length - 1] === 0x2f;
    const external = entry.externalAttributes ?? ((isDir ? 0o040755 : 0o100644) << 16) >>> 0;
    const localOffset = offset;
    if (!entry.centralOnly) {
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(flags, 6);
      local.writeUInt16LE(method, 8);
      local.writeUInt32LE(crc >>> 0, 14);
      local.writeUInt32LE(compressedSize >>> 0, 18);
      local.writeUInt32LE(size >>> 0, 22);
      local.writeUInt16LE(localName.length, 26);
      push(Buffer.concat([local, localName, data]));
    }
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(entry.versionMadeBy ?? 0x0314, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(flags, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(crc >>> 0, 16);
    header.writeUInt32LE(compressedSize >>> 0, 20);
    header.writeUInt32LE(size >>> 0, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(external >>> 0, 38);
    header.writeUInt32LE(entry.centralOffset ?? localOffset, 42);
    central.push(Buffer.concat([header, name]));
  }
  if (options.gap) push(options.gap);
  const centralOffset = offset;
  const directory = Buffer.concat(central);
  push(directory);
  const comment = options.comment ?? Buffer.alloc(0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(options.endEntries ?? entries.length, 8);
  end.writeUInt16LE(options.endEntries ?? entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  end.writeUInt16LE(comment.length, 20);
  push(Buffer.concat([end, comment]));
  return Buffer.concat(parts);
}
