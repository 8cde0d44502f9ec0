import { type SandboxSigstore, startSandboxSigstore } from '@phpublish/sandbox';
import { ASN1Obj, X509Certificate } from '@sigstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derLength, encodeDer, useFastDerEncoding } from './der-encoding.js';

let sigstore: SandboxSigstore;
/** The sandbox instance's CA and TSA certificates, parsed by @sigstore/core. */
let certificates: X509Certificate[];
/** The library's own encoder, kept before anything replaces it. */
const libraryEncoder = ASN1Obj.prototype.toDER;

beforeAll(async () => {
  sigstore = await startSandboxSigstore();
  const root = sigstore.trustedRoot as Record<string, { certChain: { certificates: { rawBytes: string }[] } }[]>;
  certificates = [...(root['certificateAuthorities'] ?? []), ...(root['timestampAuthorities'] ?? [])]
    .flatMap((authority) => authority.certChain.certificates)
    .map((c) => X509Certificate.parse(Buffer.from(c.rawBytes, 'base64')));
});
afterAll(async () => {
  await sigstore.close();
});

function nodesOf(node: ASN1Obj): ASN1Obj[] {
  return [node, ...node.subs.flatMap(nodesOf)];
}

describe('the fast DER encoder', () => {
  it('encodes lengths as DER does (short form below 128, minimal long form above)', () => {
    expect([...derLength(0)]).toEqual([0]);
    expect([...derLength(127)]).toEqual([127]);
    expect([...derLength(128)]).toEqual([0x81, 128]);
    expect([...derLength(255)]).toEqual([0x81, 255]);
    expect([...derLength(256)]).toEqual([0x82, 1, 0]);
    expect([...derLength(65_536)]).toEqual([0x83, 1, 0, 0]);
  });

  it('gives the bytes of the certificate as issued, like the library’s encoder, for every node', () => {
    expect(certificates.length).toBeGreaterThanOrEqual(2);
    for (const certificate of certificates) {
      expect(encodeDer.call(certificate.root).equals(certificate.root.toDER())).toBe(true);
      for (const node of nodesOf(certificate.root)) {
        expect(encodeDer.call(node).equals(libraryEncoder.call(node))).toBe(true);
      }
    }
  });

  it('replaces the library’s encoder only after encoding the samples identically', () => {
    expect(useFastDerEncoding(ASN1Obj.prototype, [])).toBe(false);
    expect(ASN1Obj.prototype.toDER).toBe(libraryEncoder);
    expect(
      useFastDerEncoding(
        ASN1Obj.prototype,
        certificates.map((c) => c.root),
      ),
    ).toBe(true);
    expect(ASN1Obj.prototype.toDER).toBe(encodeDer);
    // Certificates still compare and verify as before: the CA certificate is self-signed.
    const ca = certificates[0]!;
    expect(ca.equals(X509Certificate.parse(ca.root.toDER()))).toBe(true);
    expect(ca.verify()).toBe(true);
  });

  it('keeps an encoder whose bytes differ', () => {
    const odd = { toDER: () => Buffer.from('not DER') };
    const original = odd.toDER;
    const sample = { tag: { toDER: () => 0x04 }, value: Buffer.from('ab'), subs: [], toDER: original };
    expect(useFastDerEncoding(odd, [sample])).toBe(false);
    expect(odd.toDER).toBe(original);
  });
});
