import { z } from 'zod';
import { type ErrorCode, PhpublishError } from '../errors/index.js';
import {
  type HttpDeps,
  HttpNetworkError,
  type HttpRequest,
  type HttpResponse,
  parseJsonAnswer,
  requestWithRetry,
} from '../http/index.js';
import type { Redactor } from '../log/index.js';

/** How phpublish talks to a forge's API: its base URL, the credentials header, and the HTTP plumbing. */
export interface ForgeApi {
  /** e.g. https://api.github.com, https://gitlab.com/api/v4 (no trailing slash needed). */
  baseUrl: string;
  /** The header that carries the token (`authorization: Bearer …`, `job-token: …`); already redacted in logs. */
  authHeaders: Record<string, string>;
  http: HttpDeps;
  redactor: Redactor;
}

export type ForgeFailureCode = Extract<ErrorCode, 'ATTEST_STORE_FAILED' | 'ATTEST_FETCH_FAILED'>;

/** Sends one request; a request that never got an answer becomes `failure` with a plain, redacted reason. */
export async function send(
  api: ForgeApi,
  request: HttpRequest & { authenticated?: boolean },
  failure: { code: ForgeFailureCode; service: string },
): Promise<HttpResponse> {
  const { authenticated = true, ...rest } = request;
  try {
    return await requestWithRetry(
      { ...rest, headers: { ...(authenticated ? api.authHeaders : {}), ...rest.headers } },
      api.http,
    );
  } catch (error) {
    if (!(error instanceof HttpNetworkError)) throw error;
    throw new PhpublishError(
      failure.code,
      { service: failure.service, url: api.redactor.redact(rest.url), reason: api.redactor.redact(error.reason) },
      { cause: error },
    );
  }
}

/** A forge's error answer as one short line (`message`, GitHub's and GitLab's JSON shape), redacted. */
export function serverMessage(response: HttpResponse, redactor: Redactor): string {
  let text = response.body;
  try {
    const body = JSON.parse(response.body) as { message?: unknown; error?: unknown };
    const message = body.message ?? body.error;
    text = typeof message === 'string' ? message : JSON.stringify(message ?? body);
  } catch {
    // not JSON: keep the text
  }
  return redactor.redact(text.split('\n')[0]!.slice(0, 200)) || `HTTP ${response.status}`;
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

export const isHttpUrl = (value: string): boolean => /^https?:\/\//i.test(value) && URL.canParse(value);

/** A URL in an answer that phpublish will request. */
export const httpUrlField = z.string().refine(isHttpUrl, 'must be an http(s) URL');

/**
 * Whether `url` is one of the API's own, where its token may go — unlike a link an answer
 * names, which may point anywhere.
 */
export function isApiUrl(api: ForgeApi, url: string): boolean {
  return url.startsWith(`${api.baseUrl.replace(/\/+$/, '')}/`);
}

/**
 * The JSON of an answer, checked against `schema` (every field phpublish reads, with its type);
 * anything else is REMOTE_ANSWER_MALFORMED and nothing of it is used.
 */
export function jsonBody<S extends z.ZodType>(
  response: HttpResponse,
  url: string,
  failure: { service: string },
  schema: S,
): z.output<S>;
export function jsonBody(
  response: HttpResponse,
  url: string,
  failure: { service: string },
  schema: z.ZodType,
): unknown {
  const answer = parseJsonAnswer(response.body, schema);
  if ('problem' in answer) {
    throw new PhpublishError('REMOTE_ANSWER_MALFORMED', {
      service: failure.service,
      url,
      status: response.status,
      problem: answer.problem,
    });
  }
  return answer.data;
}

/** A forge's error answer as the store's or fetch's coded error (401 said plainly, else the server's message). */
export function failure(
  api: ForgeApi,
  response: HttpResponse,
  url: string,
  kind: { code: ForgeFailureCode; service: string },
): PhpublishError {
  return new PhpublishError(kind.code, {
    service: kind.service,
    url,
    status: response.status,
    reason: response.status === 401 ? 'the token was refused (bad credentials)' : serverMessage(response, api.redactor),
  });
}
