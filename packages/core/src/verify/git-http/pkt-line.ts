/**
 * git's pkt-line framing (gitprotocol-common): four hex digits giving the length of the line
 * including themselves, then the payload; `0000` ends a message (flush), `0001` separates its
 * sections (delim), `0002` ends a response (response-end).
 */

export type Packet =
  | { kind: 'data'; payload: Buffer }
  | { kind: 'flush' }
  | { kind: 'delim' }
  | { kind: 'response-end' };

/** The payload limit of one pkt-line (65520 bytes in all). */
export const MAX_PACKET_PAYLOAD = 65516;

/** Why a message cannot be read as pkt-lines; for humans. */
export class PktLineProblem extends Error {
  override name = 'PktLineProblem';
}

/** One pkt-line holding `text` (a line of a command request: callers add the trailing newline). */
export function pktLine(text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  if (payload.length > MAX_PACKET_PAYLOAD) throw new PktLineProblem('a pkt-line longer than the protocol allows');
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0'), 'latin1'), payload]);
}

export const FLUSH = Buffer.from('0000', 'latin1');
export const DELIM = Buffer.from('0001', 'latin1');

/** Every packet of a whole message, in order; payloads are views into `message`. */
export function* readPackets(message: Buffer): Generator<Packet> {
  let offset = 0;
  while (offset < message.length) {
    if (offset + 4 > message.length) throw new PktLineProblem('the message ends inside a pkt-line length');
    const lengthText = message.toString('latin1', offset, offset + 4);
    if (!/^[0-9a-f]{4}$/.test(lengthText)) throw new PktLineProblem('a pkt-line length is not four hex digits');
    const length = Number.parseInt(lengthText, 16);
    if (length === 0) yield { kind: 'flush' };
    else if (length === 1) yield { kind: 'delim' };
    else if (length === 2) yield { kind: 'response-end' };
    else if (length < 4) throw new PktLineProblem(`a pkt-line of length ${length}`);
    else {
      if (offset + length > message.length) throw new PktLineProblem('the message ends inside a pkt-line');
      yield { kind: 'data', payload: message.subarray(offset + 4, offset + length) };
      offset += length;
      continue;
    }
    offset += 4;
  }
}

/** A data packet's payload as a text line, without its trailing newline. */
export function packetText(packet: Packet): string | undefined {
  if (packet.kind !== 'data') return undefined;
  const text = packet.payload.toString('utf8');
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}
