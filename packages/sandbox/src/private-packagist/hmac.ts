import { createHmac, timingSafeEqual } from 'node:crypto';

/** The parts of a `PACKAGIST-HMAC-SHA256` Authorization header. */
export interface HmacAuthorization {
  readonly key: string;
  readonly timestamp: string;
  readonly cnonce: string;
  readonly signature: string;
}

const HEADER = /^PACKAGIST-HMAC-SHA256 Key=([^,\s]+), Timestamp=([^,\s]+), Cnonce=([^,\s]+), Signature=(\S+)$/;

/** The header's parts, or undefined when it is not exactly the shape the API client writes. */
export function parseHmacAuthorization(header: string | undefined): HmacAuthorization | undefined {
  const match = HEADER.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { key: match[1]!, timestamp: match[2]!, cnonce: match[3]!, signature: match[4]! };
}

const UNRESERVED = /[A-Za-z0-9\-_.~]/;
const HEX_DIGITS = '0123456789ABCDEF';

/** PHP's rawurlencode over bytes: every byte but RFC 3986's unreserved characters as %XX (capitals). */
function rfc3986(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length * 3);
  let at = 0;
  for (const byte of bytes) {
    if (byte < 0x80 && UNRESERVED.test(String.fromCharCode(byte))) {
      out[at++] = byte;
    } else {
      at += out.write(`%${HEX_DIGITS[byte >> 4]}${HEX_DIGITS[byte & 15]}`, at, 'latin1');
    }
  }
  return out.subarray(0, at);
}

/**
 * What the Private Packagist API client signs (RequestSignature.php): method, host (no port), path,
 * then key, timestamp, cnonce and the raw body (when not empty) sorted by name and encoded like
 * `http_build_query(..., PHP_QUERY_RFC3986)`. Written here on its own, not imported from core, so
 * that the stand-in checks the client rather than agreeing with it by construction.
 */
export function canonicalRequest(input: {
  method: string;
  host: string;
  path: string;
  key: string;
  timestamp: string;
  cnonce: string;
  body: Buffer;
}): Buffer {
  const params: [string, Buffer][] = [
    ['cnonce', Buffer.from(input.cnonce)],
    ['key', Buffer.from(input.key)],
    ['timestamp', Buffer.from(input.timestamp)],
  ];
  if (input.body.length > 0) params.unshift(['body', input.body]);
  const query = params.flatMap(([name, value], index) => [Buffer.from(`${index ? '&' : ''}${name}=`), rfc3986(value)]);
  return Buffer.concat([Buffer.from(`${input.method}\n${input.host}\n${input.path}\n`, 'latin1'), ...query]);
}

/** Whether `signature` (base64) is HMAC-SHA256(secret) of the canonical request, compared in constant time. */
export function signatureMatches(canonical: Buffer, secret: string, signature: string): boolean {
  const expected = createHmac('sha256', secret).update(canonical).digest();
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
