import type { ObjectFormat } from './packfile.js';
import { DELIM, FLUSH, type Packet, PktLineProblem, packetText, pktLine, readPackets } from './pkt-line.js';

/**
 * The messages of git's protocol v2 (gitprotocol-v2) that fetching one tag needs: the capability
 * advertisement, `ls-refs` and `fetch`, as requests to build and answers to read. No I/O here.
 */

/** The server cannot serve this client the way it needs (not v2, no shallow fetches…): git itself may. */
export class ProtocolMismatch extends Error {
  override name = 'ProtocolMismatch';
}

export interface Capabilities {
  objectFormat: ObjectFormat;
  /** The server can filter objects (`filter tree:0`). */
  filter: boolean;
}

/**
 * The answer to `GET info/refs?service=git-upload-pack` with `Git-Protocol: version=2`: a v2
 * server's capability list (git's own http-backend may put the v0 `# service=` line first).
 */
export function parseCapabilities(body: Buffer): Capabilities {
  const packets = [...readPackets(body)];
  let i = 0;
  if (packetText(packets[0]!)?.startsWith('# service=')) {
    if (packets[1]?.kind !== 'flush') throw new ProtocolMismatch('the service line is not followed by a flush');
    i = 2;
  }
  if (packetText(packets[i] ?? { kind: 'flush' }) !== 'version 2') {
    throw new ProtocolMismatch('the server does not speak git protocol v2');
  }
  const capabilities = new Map<string, string>();
  for (i += 1; i < packets.length && packets[i]!.kind === 'data'; i++) {
    const line = packetText(packets[i]!)!;
    const equals = line.indexOf('=');
    capabilities.set(equals === -1 ? line : line.slice(0, equals), equals === -1 ? '' : line.slice(equals + 1));
  }
  if (!capabilities.has('ls-refs')) throw new ProtocolMismatch('the server does not offer ls-refs');
  const fetch = capabilities.get('fetch');
  if (fetch === undefined) throw new ProtocolMismatch('the server does not offer fetch');
  const features = fetch.split(' ');
  // Without shallow fetches, a tag would bring the project's whole history.
  if (!features.includes('shallow')) throw new ProtocolMismatch('the server does not offer shallow fetches');
  const format = capabilities.get('object-format') ?? 'sha1';
  if (format !== 'sha1' && format !== 'sha256') throw new ProtocolMismatch(`object format ${format}`);
  return { objectFormat: format, filter: features.includes('filter') };
}

function command(name: string, capabilities: Capabilities, args: readonly string[]): Buffer {
  return Buffer.concat([
    pktLine(`command=${name}\n`),
    // The object format is named only when the server offers one (sha1 is the default).
    ...(capabilities.objectFormat === 'sha256' ? [pktLine('object-format=sha256\n')] : []),
    DELIM,
    ...args.map((arg) => pktLine(`${arg}\n`)),
    FLUSH,
  ]);
}

/** `ls-refs` for exactly one tag, with the object it peels to. */
export function lsRefsRequest(tag: string, capabilities: Capabilities): Buffer {
  return command('ls-refs', capabilities, ['peel', `ref-prefix refs/tags/${tag}`]);
}

export interface AdvertisedTag {
  oid: string;
  /** What the server says the tag peels to (annotated tags only). */
  peeled?: string;
}

/** The tag in an `ls-refs` answer, if the server has it (a prefix also matches longer names). */
export function parseLsRefs(body: Buffer, tag: string, capabilities: Capabilities): AdvertisedTag | undefined {
  const oid = capabilities.objectFormat === 'sha1' ? /^[0-9a-f]{40}$/ : /^[0-9a-f]{64}$/;
  const ref = `refs/tags/${tag}`;
  let found: AdvertisedTag | undefined;
  for (const packet of readPackets(body)) {
    errorOf(packet);
    if (packet.kind !== 'data') break;
    const [id, name, ...attributes] = packetText(packet)!.split(' ');
    if (name !== ref) continue;
    if (!id || !oid.test(id)) throw new ProtocolMismatch('ls-refs named the tag with a malformed object id');
    const peeled = attributes.find((a) => a.startsWith('peeled:'))?.slice('peeled:'.length);
    if (peeled !== undefined && !oid.test(peeled)) throw new ProtocolMismatch('ls-refs gave a malformed peeled id');
    found = { oid: id, ...(peeled ? { peeled } : {}) };
  }
  return found;
}

/** `fetch` of one object and what it points to, one level deep, without trees or blobs where possible. */
export function fetchRequest(oid: string, capabilities: Capabilities): Buffer {
  return command('fetch', capabilities, [
    'no-progress',
    `want ${oid}`,
    'deepen 1',
    ...(capabilities.filter ? ['filter tree:0'] : []),
    'done',
  ]);
}

/** The packfile in a `fetch` answer: its section's side-band channel 1, joined. */
export function packOfFetchResponse(body: Buffer): Buffer {
  const chunks: Buffer[] = [];
  let section: string | undefined;
  let atSectionStart = true;
  for (const packet of readPackets(body)) {
    errorOf(packet);
    if (packet.kind === 'flush' || packet.kind === 'response-end') break;
    if (packet.kind === 'delim') {
      atSectionStart = true;
      continue;
    }
    if (atSectionStart) {
      section = packetText(packet);
      atSectionStart = false;
      continue;
    }
    if (section !== 'packfile') continue; // shallow-info, acknowledgments: nothing this client needs
    const channel = packet.payload[0];
    if (channel === 1) chunks.push(packet.payload.subarray(1));
    else if (channel === 3) throw new ProtocolMismatch('the server reported an error while sending the pack');
    else if (channel !== 2) throw new PktLineProblem('a packfile line on no side-band channel');
  }
  if (section !== 'packfile') throw new ProtocolMismatch('the fetch answer has no packfile section');
  return Buffer.concat(chunks);
}

/** An `ERR` line ends the exchange: the server refused (an unknown object, a moved ref…). */
function errorOf(packet: Packet): void {
  if (packet.kind === 'data' && packet.payload.toString('latin1', 0, 4) === 'ERR ') {
    throw new ProtocolMismatch('the server answered with an error');
  }
}
