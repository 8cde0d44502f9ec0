import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PackProblem, readPack } from './packfile.js';
import { FLUSH, PktLineProblem, pktLine } from './pkt-line.js';
import {
  type Capabilities,
  ProtocolMismatch,
  packOfFetchResponse,
  parseCapabilities,
  parseLsRefs,
} from './upload-pack-v2.js';

// Packs and protocol answers a hostile or broken server may send. Each is refused with the reason a
// user sees in the "fetched with git (…)" notice; `unsupported` marks packs that are valid git but
// beyond this reader (git reads them), the others are broken. None crashes or is half-read.

const DELIM = Buffer.from('0001');

/** The header of one packed object: type in bits 4–6, size in 4 + 7·n bits. */
function objectHeader(type: number, size: number): Buffer {
  const bytes = [(type << 4) | (size & 0x0f)];
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes[bytes.length - 1]! |= 0x80;
    bytes.push(rest & 0x7f);
    rest = Math.floor(rest / 128);
  }
  return Buffer.from(bytes);
}

/** A whole object as git packs it: header, then zlib. */
const packed = (type: number, content: string, declaredSize = content.length) =>
  Buffer.concat([objectHeader(type, declaredSize), deflateSync(Buffer.from(content))]);

/** A pack with a correct SHA-1 trailer around `objects`, declaring `count` of them. */
function pack(objects: readonly Buffer[], { count = objects.length, version = 2 } = {}): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(version, 4);
  header.writeUInt32BE(count, 8);
  const body = Buffer.concat([header, ...objects]);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

function problemOf(bytes: Buffer): PackProblem {
  try {
    readPack(bytes, 'sha1');
  } catch (error) {
    if (error instanceof PackProblem) return error;
    throw error;
  }
  throw new Error('the pack was read');
}

describe('when a pack is broken or not one this reader handles', () => {
  it.each([
    ['too short to be a pack', Buffer.from('PACK'), /no PACK header/, false],
    ['another magic number', pack([]).fill('X', 0, 4), /no PACK header/, false],
    ['pack version 4', pack([], { version: 4 }), /version 4/, true],
    ['65 objects for a tag and a commit', pack([], { count: 65 }), /65 objects/, true],
    ['fewer objects than it declares', pack([packed(3, 'a')], { count: 2 }), /ends before its last object/, false],
    ['an object header cut short', pack([Buffer.from([0xb5])]), /header .* is malformed/, false],
    ['an object header longer than any size', pack([Buffer.alloc(8, 0xff)]), /header .* is malformed/, false],
    ['an object of the reserved type 5', pack([packed(5, 'x')]), /unknown type 5/, false],
    ['an object larger than 64 MiB', pack([objectHeader(3, 65 * 1024 * 1024)]), /bytes in the packfile/, true],
    ['an object that is not zlib data', pack([objectHeader(3, 4), Buffer.from('nope')]), /not valid zlib/, false],
    ['an object shorter than its header says', pack([packed(3, 'short', 9)]), /not the size/, false],
    ['an object longer than its header says', pack([packed(3, 'longer than said', 3)]), /not valid zlib/, false],
    [
      'bytes after its last object',
      pack([packed(3, 'a'), Buffer.from('junk')], { count: 1 }),
      /bytes after its last object/,
      false,
    ],
  ])('refuses a pack with %s', (_what, bytes, reason, unsupported) => {
    const problem = problemOf(bytes);
    expect(problem.message).toMatch(reason);
    expect(problem.unsupported).toBe(unsupported);
  });

  it('reads the same objects once they are well formed (the builder above makes real packs)', () => {
    const [blob] = readPack(pack([packed(3, 'hello\n')]), 'sha1');
    // `git hash-object` of "hello\n".
    expect(blob).toMatchObject({ type: 'blob', oid: 'ce013625030ba8dba906f756967f9e9ca394464a' });
  });
});

const sha1: Capabilities = { objectFormat: 'sha1', filter: false };
const OID = 'a'.repeat(40);

describe('when a capability advertisement is not one this client can use', () => {
  const advertisement = (...lines: string[]) => Buffer.concat([...lines.map((l) => pktLine(`${l}\n`)), FLUSH]);
  it.each([
    [
      'a service line without its flush',
      advertisement('# service=git-upload-pack', 'version 2'),
      /not followed by a flush/,
    ],
    ['an empty answer', FLUSH, /does not speak git protocol v2/],
    ['no ls-refs', advertisement('version 2', 'fetch=shallow'), /does not offer ls-refs/],
    ['no fetch', advertisement('version 2', 'ls-refs'), /does not offer fetch/],
    [
      'an unknown object format',
      advertisement('version 2', 'ls-refs', 'fetch=shallow', 'object-format=sha512'),
      /sha512/,
    ],
  ])('refuses %s', (_what, body, reason) => {
    expect(() => parseCapabilities(body)).toThrow(ProtocolMismatch);
    expect(() => parseCapabilities(body)).toThrow(reason);
  });

  it('takes git http-backend’s v0 service line before a v2 advertisement, and sha1 by default', () => {
    const body = Buffer.concat([
      pktLine('# service=git-upload-pack\n'),
      FLUSH,
      pktLine('version 2\n'),
      pktLine('ls-refs\n'),
      pktLine('fetch=shallow\n'),
      FLUSH,
    ]);
    expect(parseCapabilities(body)).toEqual({ objectFormat: 'sha1', filter: false });
  });
});

describe('when ls-refs names the tag with malformed ids', () => {
  const answer = (line: string) => Buffer.concat([pktLine(`${line}\n`), FLUSH]);
  it('refuses a malformed object id and a malformed peeled id', () => {
    expect(() => parseLsRefs(answer('xyz refs/tags/v1'), 'v1', sha1)).toThrow(/malformed object id/);
    expect(() => parseLsRefs(answer(`${OID} refs/tags/v1 peeled:zz`), 'v1', sha1)).toThrow(/malformed peeled id/);
    // A SHA-1 id where the repository uses SHA-256.
    expect(() => parseLsRefs(answer(`${OID} refs/tags/v1`), 'v1', { objectFormat: 'sha256', filter: false })).toThrow(
      ProtocolMismatch,
    );
  });

  it('ignores longer names the prefix also matches, and an answer without the tag is "missing"', () => {
    expect(parseLsRefs(answer(`${OID} refs/tags/v1.0`), 'v1', sha1)).toBeUndefined();
    expect(parseLsRefs(answer(`${OID} refs/tags/v1 peeled:${'b'.repeat(40)}`), 'v1', sha1)).toEqual({
      oid: OID,
      peeled: 'b'.repeat(40),
    });
  });
});

describe('when a fetch answer’s packfile section is broken', () => {
  const packfileSection = (...lines: Buffer[]) => Buffer.concat([pktLine('packfile\n'), ...lines, FLUSH]);
  it('refuses a server error on side-band 3', () => {
    const body = packfileSection(pktLine(Buffer.from('\x03disk full')));
    expect(() => packOfFetchResponse(body)).toThrow(/reported an error while sending the pack/);
  });

  it('refuses a line on no side-band channel', () => {
    const body = packfileSection(pktLine(Buffer.from('\x07PACK')));
    expect(() => packOfFetchResponse(body)).toThrow(PktLineProblem);
  });

  it('refuses an answer with sections but no packfile', () => {
    const body = Buffer.concat([
      pktLine('acknowledgments\n'),
      pktLine('NAK\n'),
      DELIM,
      pktLine('shallow-info\n'),
      FLUSH,
    ]);
    expect(() => packOfFetchResponse(body)).toThrow(/no packfile section/);
  });
});
