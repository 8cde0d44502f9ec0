import { type SandboxSigstore, startSandboxSigstore } from '@phpublish/sandbox';
import { crypto, X509Certificate } from '@sigstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCertificatesOnceEncoded, keepTrustedCertificateWork } from './trusted-certificates.js';

let sigstore: SandboxSigstore;
/** The sandbox instance's CA and TSA certificates, parsed by @sigstore/core. */
let rawCertificates: Buffer[];
const libraryVerify = X509Certificate.prototype.verify;
const libraryEquals = X509Certificate.prototype.equals;

beforeAll(async () => {
  sigstore = await startSandboxSigstore();
  const root = sigstore.trustedRoot as Record<string, { certChain: { certificates: { rawBytes: string }[] } }[]>;
  rawCertificates = [...(root['certificateAuthorities'] ?? []), ...(root['timestampAuthorities'] ?? [])]
    .flatMap((authority) => authority.certChain.certificates)
    .map((c) => Buffer.from(c.rawBytes, 'base64'));
});
afterAll(async () => {
  X509Certificate.prototype.verify = libraryVerify;
  X509Certificate.prototype.equals = libraryEquals;
  await sigstore.close();
});

describe('keeping the trusted certificates’ DER and keys', () => {
  it('answers every signature check as the library does, and still rejects a forged signature', () => {
    const trusted = rawCertificates.map((raw) => X509Certificate.parse(raw));
    const root = trusted.find((c) => c.subject.equals(c.issuer))!;
    expect(keepTrustedCertificateWork(X509Certificate.prototype, crypto, trusted)).toBe(true);
    expect(X509Certificate.prototype.verify).not.toBe(libraryVerify);
    // The root signs itself, with the kept key.
    expect(root.verify()).toBe(true);
    // A copy of the root whose signature's last byte is changed is refused by the kept key.
    const forgedBytes = Buffer.from(rawCertificates[trusted.indexOf(root)]!);
    forgedBytes[forgedBytes.length - 1]! ^= 0x01;
    const forged = X509Certificate.parse(forgedBytes);
    expect(forged.verify(root)).toBe(false);
    expect(libraryVerify.call(forged, root)).toBe(false);
    // Every other pair gives the library's answer.
    for (const subject of trusted) {
      for (const issuer of trusted) expect(subject.verify(issuer)).toBe(libraryVerify.call(subject, issuer));
    }
  });

  it('keeps each node’s DER as the encoder gives it', () => {
    const trusted = rawCertificates.map((raw) => X509Certificate.parse(raw));
    keepTrustedCertificateWork(X509Certificate.prototype, crypto, trusted);
    for (const [i, certificate] of trusted.entries()) {
      expect(certificate.root.toDER().equals(rawCertificates[i]!)).toBe(true);
      expect(Object.hasOwn(certificate.root, 'toDER')).toBe(true);
    }
  });

  it('compares certificates by their bytes, encoded once each', () => {
    compareCertificatesOnceEncoded(X509Certificate.prototype);
    expect(X509Certificate.prototype.equals).not.toBe(libraryEquals);
    const [first, second] = rawCertificates.map((raw) => X509Certificate.parse(raw));
    expect(first!.equals(X509Certificate.parse(rawCertificates[0]!))).toBe(true);
    expect(first!.equals(second!)).toBe(false);
    expect(first!.equals(second!)).toBe(libraryEquals.call(first!, second!));
  });
});
