import { createHash } from 'node:crypto';

/** The JSON of a Sigstore trusted root (protobuf-specs TrustedRoot), as verifiers load it. */
export type TrustedRootJson = Record<string, unknown>;

export interface TrustedRootParts {
  fulcio: { url: string; rootCertificate: Uint8Array };
  /** Absent for an instance whose certificates carry no SCTs (GitHub's). */
  ctlog?: { url: string; publicKey: Uint8Array };
  /** Absent for an instance without a transparency log (GitHub's: signed timestamps instead). */
  rekor?: { url: string; publicKey: Uint8Array };
  /** Intermediate first, root last (the order the spec requires). */
  tsa?: { url: string; certificates: Uint8Array[] };
  /** Start of every validity window; verifiers reject signatures from before it. */
  validFrom: Date;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function logInstance(url: string, publicKey: Uint8Array, validFrom: string) {
  return {
    baseUrl: url,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: b64(publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: validFrom } },
    logId: { keyId: createHash('sha256').update(publicKey).digest('base64') },
  };
}

/** A trusted root that describes the sandbox's Fulcio, CT log, Rekor and TSA (those it runs), and nothing else. */
export function sandboxTrustedRoot(parts: TrustedRootParts): TrustedRootJson {
  const validFrom = parts.validFrom.toISOString();
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: parts.rekor ? [logInstance(parts.rekor.url, parts.rekor.publicKey, validFrom)] : [],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: parts.fulcio.url,
        certChain: { certificates: [{ rawBytes: b64(parts.fulcio.rootCertificate) }] },
        validFor: { start: validFrom },
      },
    ],
    ctlogs: parts.ctlog ? [logInstance(parts.ctlog.url, parts.ctlog.publicKey, validFrom)] : [],
    timestampAuthorities: parts.tsa
      ? [
          {
            subject: { organization: 'sigstore.mock', commonName: 'sigstore-tsa' },
            uri: parts.tsa.url,
            certChain: { certificates: parts.tsa.certificates.map((der) => ({ rawBytes: b64(der) })) },
            validFor: { start: validFrom },
          },
        ]
      : [],
  };
}
