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

const HEX = Buffer.from('0123456789ABCDEF');
/** Whether PHP's `rawurlencode` keeps a byte as it is: RFC 3986's unreserved characters. */
const UNRESERVED = new Uint8Array(256).map((_, byte) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) ? 1 : 0));

/** `rawurlencode` of `bytes` as ASCII bytes, in chunks (a zip of many megabytes is never one string). */
function* rawUrlEncode(bytes: Uint8Array): Generator<Buffer> {
  const CHUNK = 1024 * 1024;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const part = bytes.subarray(start, start + CHUNK);
    const out = Buffer.allocUnsafe(part.length * 3);
    let at = 0;
    for (const byte of part) {
      if (UNRESERVED[byte]) {
        out[at++] = byte;
      } else {
        out[at++] = 0x25; // %
        out[at++] = HEX[byte >> 4]!;
        out[at++] = HEX[byte & 15]!;
      }
    }
    yield out.subarray(0, at);
  }
}

type CanonicalInput = Required<Pick<SignedRequestInput, 'method' | 'url' | 'timestamp' | 'cnonce'>> & {
  key: string;
  body?: Uint8Array | undefined;
};

/**
 * The string Private Packagist's API checks (its API client's RequestSignature), in pieces:
 * `METHOD\nhost\npath\n` then the parameters key, timestamp, cnonce and the raw body (when not
 * empty), sorted by name and encoded as `http_build_query(..., PHP_QUERY_RFC3986)` does.
 */
function* canonicalPieces(input: CanonicalInput): Generator<string | Buffer> {
  const url = new URL(input.url);
  const params: Record<string, Uint8Array> = {
    key: Buffer.from(input.key),
    timestamp: Buffer.from(String(input.timestamp)),
    cnonce: Buffer.from(input.cnonce),
  };
  if (input.body && input.body.length > 0) params['body'] = input.body;
  yield `${input.method.toUpperCase()}\n${url.hostname}\n${url.pathname}\n`;
  let first = true;
  for (const name of Object.keys(params).sort()) {
    yield `${first ? '' : '&'}${name}=`;
    first = false;
    yield* rawUrlEncode(params[name]!);
  }
}

/** The whole signed string (for tests and diagnostics; signing streams the pieces). */
export function canonicalRequestString(input: CanonicalInput): string {
  return [...canonicalPieces(input)].map((piece) => piece.toString()).join('');
}

/**
 * The `Authorization` header of one request signed with an exchanged credential:
 * `PACKAGIST-HMAC-SHA256 Key=…, Timestamp=…, Cnonce=…, Signature=<base64 HMAC-SHA256>`. The caller
 * registers the header value with the redactor: it carries the key and a signature.
 */
export function hmacAuthorization(credential: HmacCredential, input: SignedRequestInput): string {
  const cnonce = input.cnonce ?? randomBytes(20).toString('hex');
  const hmac = createHmac('sha256', credential.secret);
  for (const piece of canonicalPieces({ ...input, cnonce, key: credential.key })) hmac.update(piece);
  const signature = hmac.digest('base64');
  return `PACKAGIST-HMAC-SHA256 Key=${credential.key}, Timestamp=${input.timestamp}, Cnonce=${cnonce}, Signature=${signature}`;
}
