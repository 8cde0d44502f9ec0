import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';

/**
 * A reader for git packfiles (gitformat-pack) that holds only whole objects, which is all a fetch
 * of one tag and its commit carries. Every object is hashed as git names it, so that what the
 * caller looks up by name is what the bytes say, whatever the server claimed.
 */

export type ObjectFormat = 'sha1' | 'sha256';

export type GitObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export interface PackedObject {
  /** The object's name, computed here from its type and content. */
  oid: string;
  type: GitObjectType;
  content: Buffer;
}

/** Why a pack cannot be read here; for humans. `unsupported` is a pack this reader does not handle (deltas). */
export class PackProblem extends Error {
  override name = 'PackProblem';
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
  }
}

const TYPES: Record<number, GitObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const OFS_DELTA = 6;
const REF_DELTA = 7;
/** A pack for one tag and one commit; anything much larger is not what was asked for. */
const MAX_OBJECTS = 64;
const MAX_OBJECT_BYTES = 64 * 1024 * 1024;

export function hashLength(format: ObjectFormat): number {
  return format === 'sha1' ? 20 : 32;
}

/** git's name for an object: the hash of `<type> <size>\0<content>`. */
export function objectId(format: ObjectFormat, type: GitObjectType, content: Buffer): string {
  return createHash(format === 'sha1' ? 'sha1' : 'sha256')
    .update(`${type} ${content.length}\0`, 'latin1')
    .update(content)
    .digest('hex');
}

/** The objects of a pack, each named by its own hash; the pack's trailing checksum is checked. */
export function readPack(pack: Buffer, format: ObjectFormat): PackedObject[] {
  const trailer = hashLength(format);
  if (pack.length < 12 + trailer || pack.toString('latin1', 0, 4) !== 'PACK') {
    throw new PackProblem('the packfile has no PACK header');
  }
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new PackProblem(`packfile version ${version}`, true);
  const count = pack.readUInt32BE(8);
  if (count > MAX_OBJECTS) throw new PackProblem(`the packfile has ${count} objects, more than a tag needs`, true);
  const body = pack.subarray(0, pack.length - trailer);
  const checksum = createHash(format === 'sha1' ? 'sha1' : 'sha256')
    .update(body)
    .digest();
  if (!checksum.equals(pack.subarray(pack.length - trailer))) {
    throw new PackProblem('the packfile’s checksum does not match its content');
  }

  const objects: PackedObject[] = [];
  let offset = 12;
  for (let i = 0; i < count; i++) {
    if (offset >= body.length) throw new PackProblem('the packfile ends before its last object');
    // Type in bits 4–6 of the first byte, size in its low 4 bits and 7 more bits per following byte.
    let byte = body[offset++]!;
    const typeNumber = (byte >> 4) & 7;
    let size = byte & 0x0f;
    let shift = 4;
    while (byte & 0x80) {
      if (offset >= body.length || shift > 35) throw new PackProblem('an object header in the packfile is malformed');
      byte = body[offset++]!;
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    if (typeNumber === OFS_DELTA || typeNumber === REF_DELTA) {
      throw new PackProblem('the packfile holds deltas', true);
    }
    const type = TYPES[typeNumber];
    if (!type) throw new PackProblem(`an object of unknown type ${typeNumber} in the packfile`);
    if (size > MAX_OBJECT_BYTES) throw new PackProblem(`an object of ${size} bytes in the packfile`, true);
    let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      // zlib stops at the end of the object's stream; bytesWritten says how much of the input that was.
      inflated = inflateSync(body.subarray(offset), {
        info: true,
        maxOutputLength: Math.max(size, 1),
      }) as unknown as typeof inflated;
    } catch {
      throw new PackProblem('an object in the packfile is not valid zlib data');
    }
    if (inflated.buffer.length !== size)
      throw new PackProblem('an object in the packfile is not the size its header says');
    offset += inflated.engine.bytesWritten;
    objects.push({ oid: objectId(format, type, inflated.buffer), type, content: inflated.buffer });
  }
  if (offset !== body.length) throw new PackProblem('the packfile has bytes after its last object');
  return objects;
}
