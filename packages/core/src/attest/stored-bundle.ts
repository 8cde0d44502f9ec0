import type { SigstoreBundle } from './sign.js';
import type { Subject } from './subjects.js';

/**
 * The subjects a bundle's statement claims, read WITHOUT verifying anything: only to recognise an
 * attestation already stored by an earlier run of the same release (so a re-run does not sign again).
 * Trust decisions go through verifyAttestation.
 */
export function claimedSubjects(bundle: unknown): Subject[] | undefined {
  try {
    const payload = (bundle as { dsseEnvelope?: { payload?: string } }).dsseEnvelope?.payload;
    if (typeof payload !== 'string') return undefined;
    const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { subject?: Subject[] };
    return Array.isArray(statement.subject) ? statement.subject : undefined;
  } catch {
    return undefined;
  }
}

/** Same names and digests, in any order. */
export function sameSubjects(a: readonly Subject[] | undefined, b: readonly Subject[]): boolean {
  if (!a || a.length !== b.length) return false;
  const key = (s: Subject) => `${s.name}\u0000${JSON.stringify(Object.entries(s.digest ?? {}).sort())}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.every((value, i) => value === right[i]);
}

export function parseBundleText(text: string): SigstoreBundle | undefined {
  try {
    const value = JSON.parse(text) as SigstoreBundle;
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
