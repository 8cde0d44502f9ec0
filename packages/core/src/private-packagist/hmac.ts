import { createHmac, randomBytes } from 'node:crypto';

export interface HmacCredential {
  readonly key: string;
  readonly secret: string;
}

export interface SignedRequestInput {
  readonly method: string;
  /** The full URL the request goes to; its host (without port) and path are signed. */
  readonly url: string;
  readonly body?: Uint8Array | undefined;
  /** Unix seconds. */
  readonly timestamp: number;
  /** 40 hexadecimal digits, fresh for every request (the server refuses a nonce twice). */
  readonly cnonce?: string;
}

/** PHP's `rawurlencode` over bytes: RFC 3986's unreserved characters kept, every other byte as %XX. */
function rawUrlEncode(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    const unreserved =
      (byte >= 0x30 && byte <= 0x39) || // 0-9
      (byte >= 0x41 && byte <= 0x5a) || // A-Z
      (byte >= 0x61 && byte <= 0x7a) || // a-z
      byte === 0x2d || // -
      byte === 0x2e || // .
      byte === 0x5f || // _
      byte === 0x7e; // ~
    out += unreserved ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The string Private Packagist's API checks (its API client's RequestSignature): `METHOD\nhost\npath\n`
 * then the parameters key, timestamp, cnonce and the raw body (when not empty), sorted by name and
 * encoded as `http_build_query(..., PHP_QUERY_RFC3986)` does.
 */
export function canonicalRequestString(
  input: Required<Pick<SignedRequestInput, 'method' | 'url' | 'timestamp' | 'cnonce'>> & {
    key: string;
    body?: Uint8Array | undefined;
  },
): string {
  const url = new URL(input.url);
  const params: Record<string, Uint8Array> = {
    key: Buffer.from(input.key),
    timestamp: Buffer.from(String(input.timestamp)),
    cnonce: Buffer.from(input.cnonce),
  };
  if (input.body && input.body.length > 0) params['body'] = input.body;
  const query = Object.keys(params)
    .sort()
    .map((name) => `${name}=${rawUrlEncode(params[name]!)}`)
    .join('&');
  return `${input.method.toUpperCase()}\n${url.hostname}\n${url.pathname}\n${query}`;
}

/**
 * The `Authorization` header of one request signed with an exchanged credential:
 * `PACKAGIST-HMAC-SHA256 Key=…, Timestamp=…, Cnonce=…, Signature=<base64 HMAC-SHA256>`. The caller
 * registers the header value with the redactor: it carries the key and a signature.
 */
export function hmacAuthorization(credential: HmacCredential, input: SignedRequestInput): string {
  const cnonce = input.cnonce ?? randomBytes(20).toString('hex');
  const canonical = canonicalRequestString({ ...input, cnonce, key: credential.key });
  const signature = createHmac('sha256', credential.secret).update(canonical, 'latin1').digest('base64');
  return `PACKAGIST-HMAC-SHA256 Key=${credential.key}, Timestamp=${input.timestamp}, Cnonce=${cnonce}, Signature=${signature}`;
}
