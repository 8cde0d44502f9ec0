import type { KeyObject } from 'node:crypto';

/**
 * Work on a trusted root's certificates that @sigstore/verify repeats for every bundle, done once.
 *
 * Building and checking a certificate path re-encodes the trusted certificates to DER many times
 * per bundle (`equals`, `verify`) and turns an issuer's public key into a key object for every
 * signature it checks; a timestamp authority's whole chain is trusted material, rebuilt the same
 * way for every bundle. For the certificates of the trust material — built once per run, never
 * modified — the DER bytes and the key objects are kept. Every signature is still checked, for
 * every bundle: only how the same bytes and keys are obtained changes, never which.
 */

/** The shape of @sigstore/core's ASN1Obj that this relies on. */
interface Asn1Node {
  subs: Asn1Node[];
  toDER(): Buffer;
}

/** The shape of @sigstore/core's X509Certificate that this relies on. */
interface Certificate {
  root: Asn1Node;
  publicKey: Buffer;
  tbsCertificate: Asn1Node;
  signatureValue: Buffer;
  signatureAlgorithm: string;
  verify(issuer?: Certificate): boolean;
}

interface SigstoreCrypto {
  createPublicKey(key: Buffer): KeyObject;
  verify(data: Buffer, key: KeyObject, signature: Buffer, algorithm?: string): boolean;
}

/** The key object of each trusted certificate, by certificate object. */
const trustedKeys = new WeakMap<object, KeyObject>();
const patched = new WeakSet<object>();

/**
 * Keeps the DER encoding of every node of `certificates` (trusted-root certificates) and their
 * public keys' key objects, and has `prototype.verify` (X509Certificate's) use a kept key object
 * when the signer is one of them. Installed only after the patched `verify` gives the original's
 * answer for every certificate against every other; returns whether it is in place.
 */
export function keepTrustedCertificateWork(
  prototype: { verify(this: Certificate, issuer?: Certificate): boolean },
  crypto: SigstoreCrypto,
  certificates: readonly Certificate[],
): boolean {
  const original = prototype.verify;
  if (typeof original !== 'function' || certificates.length === 0) return false;
  try {
    for (const certificate of certificates) {
      if (!trustedKeys.has(certificate)) trustedKeys.set(certificate, crypto.createPublicKey(certificate.publicKey));
    }
    const verifyWithKeptKey = function (this: Certificate, issuer?: Certificate): boolean {
      const key = trustedKeys.get(issuer ?? this);
      if (!key) return original.call(this, issuer);
      return crypto.verify(this.tbsCertificate.toDER(), key, this.signatureValue, this.signatureAlgorithm);
    };
    for (const subject of certificates) {
      for (const issuer of [undefined, ...certificates]) {
        if (verifyWithKeptKey.call(subject, issuer) !== original.call(subject, issuer)) return false;
      }
    }
    for (const certificate of certificates) keepDer(certificate.root);
    if (!patched.has(prototype)) {
      prototype.verify = verifyWithKeptKey;
      patched.add(prototype);
    }
    return true;
  } catch {
    return false;
  }
}

/** Each node answers `toDER()` with the bytes it encodes to now (trust material is not modified). */
function keepDer(node: Asn1Node): void {
  if (Object.hasOwn(node, 'toDER')) return;
  for (const sub of node.subs) keepDer(sub);
  const der = node.toDER();
  Object.defineProperty(node, 'toDER', { value: () => der, enumerable: false });
}

/** Each certificate's DER, by certificate object (parsed certificates are not modified). */
const encodedCertificates = new WeakMap<object, Buffer>();
const comparing = new WeakSet<object>();

/**
 * Has `prototype.equals` (X509Certificate's: the two certificates' DER encodings are the same
 * bytes) encode each certificate once instead of at every comparison: path building compares a
 * bundle's certificate with every trusted one, and again while it walks the path. Same bytes
 * compared, same answer.
 */
export function compareCertificatesOnceEncoded(prototype: {
  equals(this: { root: Asn1Node }, other: { root: Asn1Node }): boolean;
}): void {
  if (comparing.has(prototype) || typeof prototype.equals !== 'function') return;
  const encoded = (certificate: { root: Asn1Node }): Buffer => {
    let der = encodedCertificates.get(certificate);
    if (!der) {
      der = certificate.root.toDER();
      encodedCertificates.set(certificate, der);
    }
    return der;
  };
  prototype.equals = function (this: { root: Asn1Node }, other: { root: Asn1Node }): boolean {
    return encoded(this).equals(encoded(other));
  };
  comparing.add(prototype);
}
