import type { IncomingHttpHeaders } from 'node:http';
import { type PhpJsonFlags, phpJsonEncode, SYMFONY_JSON_RESPONSE } from '../php-json.js';

/** A request as the sandbox's handlers see it: fully read, nothing streamed. */
export interface SandboxRequest {
  readonly method: string;
  /** Path and query exactly as received. */
  readonly url: string;
  /** The path part of `url`, still percent-encoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What a handler answers; the server writes it (or a fault replaces it). */
export interface SandboxResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

export function jsonResponse(
  status: number,
  value: unknown,
  flags: PhpJsonFlags = SYMFONY_JSON_RESPONSE,
): SandboxResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: phpJsonEncode(value, flags) };
}

export function metadataJsonResponse(
  status: number,
  json: string,
  headers: Record<string, string> = {},
): SandboxResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: json };
}

export function htmlResponse(status: number, title: string, headers: Record<string, string> = {}): SandboxResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=UTF-8', ...headers },
    body: `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>\n`,
  };
}

/** A single header's value as PHP sees it (`$request->headers->get()`): the first one if repeated. */
export function headerValue(request: SandboxRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** PHP's `$_GET`/`$_POST` reading of a repeated parameter: the last one wins. */
export function lastParam(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  return values.length > 0 ? values[values.length - 1] : undefined;
}

/**
 * The form fields PHP parses into `$_POST`: only for a form-encoded body (any parameters after `;` and any
 * case of the media type are accepted there, unlike the exact check Packagist makes for JSON).
 */
export function formFields(request: SandboxRequest): URLSearchParams {
  const contentType = headerValue(request, 'content-type') ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  if (request.method !== 'POST' || mediaType !== 'application/x-www-form-urlencoded') return new URLSearchParams();
  return new URLSearchParams(request.body.toString('utf8'));
}
