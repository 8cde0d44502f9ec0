import { createPublicKey, type JsonWebKey, verify } from 'node:crypto';
import type { initializeCA } from '@sigstore/mock';
import { decodeJwt, verifyJwt } from '../oidc/jwt.js';
import { certificateIdentity, type TrustedOidcIssuer } from './fulcio-identity.js';

/** What a Fulcio endpoint answers, before the HTTP server writes it. */
export interface ServiceAnswer {
  status: number;
  contentType: string;
  body: string | Buffer;
}

/** The body of POST /api/v2/signingCert, as sigstore-js sends it. */
interface SigningCertRequest {
  credentials?: { oidcIdentityToken?: string };
  publicKeyRequest?: { publicKey?: { algorithm?: string; content?: string }; proofOfPossession?: string };
}

/** @sigstore/mock's certificate authority (its type is not exported by name). */
type CA = Awaited<ReturnType<typeof initializeCA>>;

const error = (status: number, message: string): ServiceAnswer => ({
  status,
  contentType: 'application/json',
  // Fulcio's grpc-gateway error shape.
  body: JSON.stringify({ code: status === 401 ? 16 : 3, message, details: [] }),
});

/** The bytes of a view, whatever its kind (the mock returns ArrayBufferViews). */
export const bytesOf = (view: ArrayBufferView) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);

const toPem = (der: ArrayBufferView) =>
  `-----BEGIN CERTIFICATE-----\n${bytesOf(der).toString('base64')}\n-----END CERTIFICATE-----\n`;

/**
 * Fulcio's signingCert endpoint on top of @sigstore/mock's CA, doing what the mock handler skips: the token
 * must come from a trusted issuer and verify against its JWKS (fetched through discovery), carry the
 * `sigstore` audience, and the proof of possession must be the subject signed with the submitted key.
 * The SAN and extensions are Fulcio's own templates for GitHub Actions and GitLab CI.
 */
export function fulcioSigningCertHandler(
  ca: CA,
  options: { issuers: () => readonly TrustedOidcIssuer[]; now: () => number },
): (body: string) => Promise<ServiceAnswer> {
  const jwksCache = new Map<string, { keys: JsonWebKey[] }>();

  const jwksOf = async (issuer: TrustedOidcIssuer) => {
    const cached = jwksCache.get(issuer.issuer);
    if (cached) return cached;
    const base = (issuer.discoveryUrl ?? issuer.issuer).replace(/\/+$/, '');
    const discovery = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: JsonWebKey[] };
    jwksCache.set(issuer.issuer, jwks);
    return jwks;
  };

  return async (body) => {
    let request: SigningCertRequest;
    try {
      request = JSON.parse(body) as SigningCertRequest;
    } catch {
      return error(400, 'the request body is not JSON');
    }
    const token = request.credentials?.oidcIdentityToken;
    const publicKeyPem = request.publicKeyRequest?.publicKey?.content;
    const proof = request.publicKeyRequest?.proofOfPossession;
    if (!token || !publicKeyPem || !proof) return error(400, 'expected credentials and publicKeyRequest');

    let claims: Record<string, unknown>;
    let issuer: TrustedOidcIssuer | undefined;
    try {
      const iss = decodeJwt(token).claims['iss'];
      issuer = options.issuers().find((candidate) => candidate.issuer === iss);
      if (!issuer) return error(401, `the token's issuer ${String(iss)} is not trusted`);
      claims = verifyJwt(token, await jwksOf(issuer), Math.floor(options.now() / 1000));
    } catch (e) {
      return error(401, `the identity token is not valid: ${(e as Error).message}`);
    }
    const audience = claims['aud'];
    if (audience !== 'sigstore' && !(Array.isArray(audience) && audience.includes('sigstore'))) {
      return error(401, 'the identity token is not for the "sigstore" audience');
    }

    let publicKey: ReturnType<typeof createPublicKey>;
    try {
      publicKey = createPublicKey(publicKeyPem);
    } catch {
      return error(400, 'the public key cannot be parsed');
    }
    // The challenge sigstore-js signs: the email claim for people, `sub` for workloads.
    const subject = String(claims['email'] ?? claims['sub'] ?? '');
    if (!verify('sha256', Buffer.from(subject), publicKey, Buffer.from(proof, 'base64'))) {
      return error(400, 'the proof of possession does not verify with the submitted key');
    }

    let identity: ReturnType<typeof certificateIdentity>;
    try {
      identity = certificateIdentity(claims, issuer);
    } catch (e) {
      return error(400, (e as Error).message);
    }
    const leaf = await ca.issueCertificate({
      publicKey: publicKey.export({ format: 'der', type: 'spki' }) as Buffer<ArrayBuffer>,
      subjectAltName: identity.subjectAlternativeName,
      extensions: identity.extensions,
    });
    return {
      status: 201,
      contentType: 'application/json',
      body: JSON.stringify({
        signedCertificateEmbeddedSct: { chain: { certificates: [toPem(leaf), toPem(ca.rootCertificate)] } },
      }),
    };
  };
}
