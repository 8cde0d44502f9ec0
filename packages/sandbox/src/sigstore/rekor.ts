import { createHash, type KeyObject, randomInt, sign } from 'node:crypto';
import type { initializeTLog } from '@sigstore/mock';
import type { ServiceAnswer } from './fulcio.js';

/** A Rekor v1 log entry as POST /api/v1/log/entries returns it (keyed by UUID). */
interface LogEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: {
    inclusionProof: { logIndex: number; treeSize: number; rootHash: string; hashes: string[]; checkpoint: string };
    signedEntryTimestamp: string;
  };
}

interface ProposedDsse {
  apiVersion: string;
  kind: 'dsse';
  spec: { proposedContent: { envelope: string; verifiers: string[] } };
}

/** @sigstore/mock's transparency log (its type is not exported by name). */
export type TLog = Awaited<ReturnType<typeof initializeTLog>>;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

/**
 * Real Rekor stores a dsse entry in its canonical form, not as proposed: hashes of the envelope and the
 * payload, and each signature with its verifier. (@sigstore/mock logs the proposed form, which verifiers
 * reject with "signature count mismatch".)
 */
export function canonicalDsseEntry(proposed: ProposedDsse): object {
  const envelope = JSON.parse(proposed.spec.proposedContent.envelope) as {
    payload: string;
    signatures: { sig: string }[];
  };
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(proposed.spec.proposedContent.envelope).toString('hex') },
      payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelope.payload, 'base64')).toString('hex') },
      signatures: envelope.signatures.map((signature, i) => ({
        signature: signature.sig,
        verifier: proposed.spec.proposedContent.verifiers[i] ?? proposed.spec.proposedContent.verifiers[0],
      })),
    },
  };
}

/**
 * Replaces the mock's one-leaf proof (logIndex 0, no hashes: proto3 JSON drops both, and verifiers other
 * than sigstore-js then fail) with a real proof in a two-leaf tree whose second leaf is the entry, and a
 * checkpoint for that tree signed with the log's key.
 */
export function twoLeafInclusionProof(
  entry: LogEntry,
  log: { privateKey: KeyObject; origin: string },
): LogEntry['verification']['inclusionProof'] {
  const leaf = (data: Buffer) => sha256(Buffer.concat([Buffer.from([0x00]), data]));
  const sibling = leaf(Buffer.from('phpublish sandbox: the entry before'));
  const entryLeaf = leaf(Buffer.from(entry.body, 'base64'));
  const root = sha256(Buffer.concat([Buffer.from([0x01]), sibling, entryLeaf]));
  const note = [
    `${log.origin} - ${randomInt(2 ** 47)}`,
    '2',
    root.toString('base64'),
    `Timestamp: ${entry.integratedTime * 1_000_000_000}`,
    '',
  ].join('\n');
  const keyHint = Buffer.from(entry.logID, 'hex').subarray(0, 4);
  const signature = sign('sha256', Buffer.from(note), log.privateKey);
  const checkpoint = `${note}\n\u2014 ${log.origin} ${Buffer.concat([keyHint, signature]).toString('base64')}\n`;
  return { logIndex: 1, treeSize: 2, rootHash: root.toString('hex'), hashes: [sibling.toString('hex')], checkpoint };
}

/** POST /api/v1/log/entries on @sigstore/mock's log, with both corrections applied. */
export function rekorCreateEntryHandler(
  tlog: TLog,
  log: () => { privateKey: KeyObject; origin: string },
): (body: string) => Promise<ServiceAnswer> {
  return async (body) => {
    let proposed: { kind?: string; apiVersion?: string };
    try {
      proposed = JSON.parse(body);
    } catch {
      return { status: 400, contentType: 'application/json', body: JSON.stringify({ code: 400, message: 'not JSON' }) };
    }
    const toLog = proposed.kind === 'dsse' ? canonicalDsseEntry(proposed as ProposedDsse) : proposed;
    const logged = (await tlog.log(toLog)) as unknown as Record<string, LogEntry>;
    const [uuid, entry] = Object.entries(logged)[0]!;
    entry.verification.inclusionProof = twoLeafInclusionProof(entry, log());
    return { status: 201, contentType: 'application/json', body: JSON.stringify({ [uuid]: entry }) };
  };
}
