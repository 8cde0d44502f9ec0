import { createPublicKey, createSign, createVerify, type JsonWebKey, type KeyObject } from 'node:crypto';

/** The claims of an ID token: strings and numbers as the CI sets them. */
export type JwtClaims = Record<string, unknown>;

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** A compact RS256 JWS, as GitHub's and GitLab's token services issue them. */
export function signJwt(claims: JwtClaims, key: { privateKey: KeyObject; kid: string }): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: key.kid }));
  const payload = base64url(JSON.stringify(claims));
  const signer = createSign('RSA-SHA256');
  signer.update(`${header}.${payload}`);
  return `${header}.${payload}.${signer.sign(key.privateKey).toString('base64url')}`;
}

export interface DecodedJwt {
  header: { alg?: string; kid?: string };
  claims: JwtClaims;
}

/** Header and claims, without checking anything. Throws on what is not a compact JWS. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a compact JWS (three dot-separated parts)');
  const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
  const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  if (typeof claims !== 'object' || claims === null) throw new Error('the claims are not a JSON object');
  return { header, claims };
}

/**
 * Checks an RS256 token against a JWKS the way a relying party (Fulcio) does: the key named by `kid`,
 * the signature, and the time window. Returns the claims; throws with a reason otherwise.
 */
export function verifyJwt(token: string, jwks: { keys: JsonWebKey[] }, nowSeconds: number): JwtClaims {
  const { header, claims } = decodeJwt(token);
  if (header.alg !== 'RS256') throw new Error(`unsupported algorithm ${String(header.alg)}`);
  const jwk = jwks.keys.find((k) => (k as { kid?: string }).kid === header.kid);
  if (!jwk) throw new Error(`no key ${String(header.kid)} in the issuer's JWKS`);
  const [head, payload, signature] = token.split('.') as [string, string, string];
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${head}.${payload}`);
  if (!verifier.verify(createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(signature, 'base64url'))) {
    throw new Error('the token signature does not verify');
  }
  const exp = claims['exp'];
  const nbf = claims['nbf'];
  // A minute of leeway, like the go-oidc library Fulcio uses.
  if (typeof exp !== 'number' || exp + 60 < nowSeconds) throw new Error('the token has expired');
  if (typeof nbf === 'number' && nbf - 60 > nowSeconds) throw new Error('the token is not valid yet');
  return claims;
}
