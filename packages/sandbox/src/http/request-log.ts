import { sandboxAudit } from '../audit.js';
import type { SandboxRequest } from './exchange.js';

/** One request as the sandbox received it, with secrets taken out (except from `url`, see there). */
export interface RecordedRequest {
  readonly method: string;
  /**
   * Path and query exactly as received, secrets included: tests use it to prove that no client ever puts a
   * token in a URL (where proxies and servers log it). Do not print it; print `redactedUrl`.
   */
  readonly url: string;
  /** `url` with `apiToken` values and every token the sandbox issued replaced by `<redacted>`. */
  readonly redactedUrl: string;
  /** Lowercase names; `authorization` replaced by `<redacted>`, issued tokens scrubbed from the others. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as text, issued tokens scrubbed. */
  readonly body: string;
}

export const REDACTED = '<redacted>';

/**
 * Where a request is meant to carry a credential: these headers (OAuth bearer, Basic, PACKAGIST-HMAC,
 * GitLab's PRIVATE-TOKEN and JOB-TOKEN) and, in a JSON body, these fields (Fulcio's
 * `credentials.oidcIdentityToken`). A secret there is expected; anywhere else it is a leak.
 */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'private-token',
  'job-token',
]);
const CREDENTIAL_BODY_FIELDS = /"oidcIdentityToken"\s*:\s*"[^"]*"/g;

/** One request as received, without the credentials it was meant to carry, for the suite's leak scan. */
export interface ReceivedRequest {
  /** `POST /api/update-package`: the route, not the query (the query is in `url`). */
  readonly where: string;
  readonly url: string;
  /** Every header except CREDENTIAL_HEADERS, as `name: value` lines. */
  readonly headers: string;
  readonly body: Buffer;
}

/**
 * Every request any sandbox server in this process received (credentials in their proper places
 * taken out, everything else as received). The suite's leak scan reads and empties it after each
 * test file; nothing else should.
 */
export const receivedRequests: ReceivedRequest[] = [];

function receivedRequest(request: SandboxRequest): ReceivedRequest {
  const headers = Object.entries(request.headers)
    .filter(([name, value]) => value !== undefined && !CREDENTIAL_HEADERS.has(name))
    .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : value}`)
    .join('\n');
  const text = request.body.toString('latin1');
  const body = text.includes('"oidcIdentityToken"')
    ? Buffer.from(text.replace(CREDENTIAL_BODY_FIELDS, `"oidcIdentityToken":"${REDACTED}"`), 'latin1')
    : request.body;
  return { where: `${request.method} ${request.path}`, url: request.url, headers, body };
}

/** Replaces every occurrence of each secret (non-empty) in `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret) result = result.split(secret).join(REDACTED);
  return result;
}

export function redactUrl(url: string, secrets: readonly string[]): string {
  return scrub(url.replace(/([?&]apiToken=)[^&#]*/g, `$1${REDACTED}`), secrets);
}

export function recordRequest(request: SandboxRequest, secrets: readonly string[]): RecordedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    headers[name] = CREDENTIAL_HEADERS.has(name) ? REDACTED : scrub(text, secrets);
  }
  return {
    method: request.method,
    url: request.url,
    redactedUrl: redactUrl(request.url, secrets),
    headers,
    body: scrub(request.body.toString('utf8').replace(/(^|&)(apiToken=)[^&]*/g, `$1$2${REDACTED}`), secrets),
  };
}

/**
 * The `onRequest` of every sandbox server: keeps the request (secrets scrubbed) and its raw URL for
 * the suite-wide check that no client ever put a secret in a URL.
 */
export function recordInto(
  requests: RecordedRequest[],
  secrets: () => readonly string[],
): (request: SandboxRequest) => void {
  return (request) => {
    sandboxAudit.requestUrls.push(request.url);
    receivedRequests.push(receivedRequest(request));
    requests.push(recordRequest(request, secrets()));
  };
}
