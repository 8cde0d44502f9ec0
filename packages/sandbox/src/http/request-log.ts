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
    headers[name] = name === 'authorization' || name === 'proxy-authorization' ? REDACTED : scrub(text, secrets);
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
    requests.push(recordRequest(request, secrets()));
  };
}
