/** Fulcio's certificate extensions (sigstore/fulcio docs/oid-info.md) that the identity policy reads. */
export const FULCIO_OID = {
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  runInvocationUri: '1.3.6.1.4.1.57264.1.21',
} as const;

/** Who signed, as the verified certificate says it (public values, no secrets). */
export interface SignerIdentity {
  /** The certificate's SAN: for CI identities, the URI of the workflow at a ref. */
  subjectAlternativeName: string;
  /** The OIDC issuer that vouched for it. */
  issuer: string;
  sourceRepositoryUri?: string;
  sourceRepositoryRef?: string;
  sourceRepositoryDigest?: string;
  buildSignerUri?: string;
  runInvocationUri?: string;
}

/** One extension as @sigstore/verify reports it: the OID's arcs and the extension's value bytes. */
export interface OidValue {
  oid?: { id: number[] };
  value: Uint8Array;
}

/**
 * Fulcio writes its v2 extensions as DER UTF8String (tag 12, then a DER length): the text inside.
 * Anything else is read as raw text, which is how the legacy v1 extensions are written.
 */
export function extensionText(value: Uint8Array): string {
  const bytes = Buffer.from(value);
  if (bytes[0] !== 0x0c || bytes.length < 2) return bytes.toString('utf8');
  let length = bytes[1]!;
  let offset = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[2 + i]!;
    offset = 2 + count;
  }
  return bytes.subarray(offset, offset + length).toString('utf8');
}

export function signerIdentity(identity: {
  subjectAlternativeName?: string;
  extensions?: { issuer?: string };
  oids?: OidValue[];
}): SignerIdentity {
  const byOid = new Map<string, string>();
  for (const { oid, value } of identity.oids ?? []) if (oid) byOid.set(oid.id.join('.'), extensionText(value));
  const optional = (oid: string) => byOid.get(oid);
  return {
    subjectAlternativeName: identity.subjectAlternativeName ?? '',
    issuer: identity.extensions?.issuer ?? optional(FULCIO_OID.issuer) ?? '',
    sourceRepositoryUri: optional(FULCIO_OID.sourceRepositoryUri),
    sourceRepositoryRef: optional(FULCIO_OID.sourceRepositoryRef),
    sourceRepositoryDigest: optional(FULCIO_OID.sourceRepositoryDigest),
    buildSignerUri: optional(FULCIO_OID.buildSignerUri),
    runInvocationUri: optional(FULCIO_OID.runInvocationUri),
  };
}
