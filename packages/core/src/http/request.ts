import type { Readable } from 'node:stream';
import { type Dispatcher, request } from 'undici';
import type { Clock } from '../clock.js';
import { isPhpublishError } from '../errors/index.js';
import { type AnswerKind, type AnswerLimits, AnswerMeter, abandonBody } from './limits.js';

export interface RetryPolicy {
  /** Total attempts, including the first. */
  attempts: number;
  /** Delay before the second attempt; doubles each time up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the response is returned as it is. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 1000,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

export interface HttpDeps {
  dispatcher: Dispatcher;
  clock: Clock;
  userAgent: string;
  /** Per attempt: the time allowed for the response headers, and between body chunks. */
  timeoutMs: number;
  /**
   * Per attempt: the time allowed for a whole answer body once its headers have come (a server that
   * trickles a byte now and then never trips `timeoutMs`). ANSWER_DEADLINE_TIMEOUTS × `timeoutMs` by default.
   */
  answerDeadlineMs?: number;
  retry: RetryPolicy;
  /** The largest answer accepted, by kind; DEFAULT_ANSWER_LIMITS for kinds not given. */
  limits?: Partial<AnswerLimits>;
  /** Told before each retry, so that long waits show up in the log. */
  onRetry?: (info: { url: string; attempt: number; delayMs: number; reason: string }) => void;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /**
   * Whether sending the request twice is harmless. Only then are timeouts, resets and 5xx retried;
   * otherwise only failures where the server certainly did not act (refused connection, 429) are.
   */
  idempotent: boolean;
  /** What the answer is, for its size limit; `api` by default. */
  answer?: AnswerKind;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** How many attempts it took. */
  attempts: number;
}

/** The request never got an HTTP answer (after every retry). `reason` is for humans and has no secrets. */
export class HttpNetworkError extends Error {
  override name = 'HttpNetworkError';
  constructor(
    readonly url: string,
    readonly reason: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`${reason} (${url}, ${attempts} attempt${attempts === 1 ? '' : 's'})`, options);
  }
}

/** How many `timeoutMs` a whole answer body may take by default: 2 min with the default 30 s timeout. */
export const ANSWER_DEADLINE_TIMEOUTS = 4;

/** The error code of an answer whose body did not arrive whole in time (a network failure, retried as one). */
const ANSWER_TOO_SLOW = 'PHPUBLISH_ANSWER_TOO_SLOW';

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524]);
/** Failures where the server cannot have acted on the request. */
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * The single place where phpublish retries HTTP (the sigstore-js `fetchWithRetry` idea): bounded
 * attempts with exponential backoff, honouring Retry-After, for 408/429/5xx and network failures.
 * An answer larger than its kind's limit is refused (REMOTE_ANSWER_TOO_LARGE), never retried.
 */
export async function requestWithRetry(req: HttpRequest, deps: HttpDeps): Promise<HttpResponse> {
  const { response, attempts } = await withRetry(req, deps, () => sendOnce(req, deps));
  return { ...response, attempts };
}

/** One attempt's answer, as far as retrying is concerned. */
export interface AttemptAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The retry loop of requestWithRetry for requests whose bodies are read otherwise (binary
 * downloads): `attempt` sends the request once and resolves to its answer, or throws when no
 * answer came. `discard` releases an answer that will be retried (its body is not wanted).
 * Coded errors (PhpublishError: an answer too large, say) and errors for which `isNetworkError`
 * says false are not retried and propagate as they are; network errors become HttpNetworkError
 * after the last attempt.
 */
export async function withRetry<R extends AttemptAnswer>(
  req: Pick<HttpRequest, 'url' | 'idempotent'>,
  deps: HttpDeps,
  attempt: () => Promise<R>,
  options: { isNetworkError?: (error: unknown) => boolean; discard?: (answer: R) => Promise<void> } = {},
): Promise<{ response: R; attempts: number }> {
  const { retry, clock } = deps;
  for (let attempts = 1; ; attempts++) {
    const last = attempts >= retry.attempts;
    let response: R;
    try {
      response = await attempt();
    } catch (error) {
      if (isPhpublishError(error) || (options.isNetworkError && !options.isNetworkError(error))) throw error;
      const code = errorCode(error);
      const retryable = req.idempotent || NOT_SENT.has(code);
      if (last || !retryable) {
        throw new HttpNetworkError(req.url, describeNetworkError(error, deps), attempts, { cause: error });
      }
      const delayMs = backoff(retry, attempts);
      deps.onRetry?.({ url: req.url, attempt: attempts, delayMs, reason: describeNetworkError(error, deps) });
      await clock.sleep(delayMs);
      continue;
    }
    const rateLimited = response.status === 429 || (response.status === 403 && isRateLimited403(response.headers));
    const retryableStatus =
      rateLimited || (RETRYABLE_STATUS.has(response.status) && (req.idempotent || response.status === 503));
    if (!retryableStatus || last) return { response, attempts };
    const retryAfterMs =
      parseRetryAfter(response.headers['retry-after'], clock.now()) ?? rateLimitResetMs(response.headers, clock.now());
    if (retryAfterMs !== undefined && retryAfterMs > retry.maxRetryAfterMs) return { response, attempts };
    await options.discard?.(response);
    const delayMs = Math.max(retryAfterMs ?? 0, backoff(retry, attempts));
    deps.onRetry?.({ url: req.url, attempt: attempts, delayMs, reason: `HTTP ${response.status}` });
    await clock.sleep(delayMs);
  }
}

async function sendOnce(req: HttpRequest, deps: HttpDeps): Promise<Omit<HttpResponse, 'attempts'>> {
  const res = await request(req.url, {
    dispatcher: deps.dispatcher,
    method: req.method,
    headers: { 'user-agent': deps.userAgent, accept: 'application/json', ...req.headers },
    body: req.body,
    headersTimeout: deps.timeoutMs,
    bodyTimeout: deps.timeoutMs,
  });
  const meter = new AnswerMeter(req.url, req.answer ?? 'api', deps.limits);
  const chunks: Buffer[] = [];
  const clearDeadline = startAnswerDeadline(res.body, deps);
  try {
    meter.checkDeclared(res.headers);
    for await (const chunk of res.body) {
      meter.add(chunk.length);
      chunks.push(chunk);
    }
  } catch (error) {
    abandonBody(res.body);
    throw error;
  } finally {
    clearDeadline();
  }
  // As undici's text(): UTF-8, a byte order mark dropped.
  return { status: res.statusCode, headers: res.headers, body: new TextDecoder().decode(Buffer.concat(chunks)) };
}

/**
 * Arms the whole-answer deadline on a body whose headers have come: when the body is not read whole
 * by then, it is destroyed with an error that the retry loop treats as a network failure ("the
 * answer did not arrive whole within …"). Every reader of an answer body (the JSON requests here,
 * binary downloads) uses it. Returns the function that disarms it once the body is read.
 */
export function startAnswerDeadline(body: Readable, deps: HttpDeps): () => void {
  const deadline = setTimeout(
    () => body.destroy(Object.assign(new Error('answer too slow'), { code: ANSWER_TOO_SLOW })),
    answerDeadline(deps),
  );
  return () => clearTimeout(deadline);
}

/** How long a whole answer may take (also the bound of a git fetch that stands in for one). */
export function answerDeadline(deps: Pick<HttpDeps, 'answerDeadlineMs' | 'timeoutMs'>): number {
  return deps.answerDeadlineMs ?? deps.timeoutMs * ANSWER_DEADLINE_TIMEOUTS;
}

function backoff(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

/**
 * A 403 that is rate limiting, not a refusal: GitHub answers its secondary rate limits with 403 (or
 * 429) and a Retry-After, and an exhausted primary limit with `x-ratelimit-remaining: 0`. The server
 * did not act on the request, so it is retried like a 429, after the wait it names.
 */
function isRateLimited403(headers: AttemptAnswer['headers']): boolean {
  return headers['retry-after'] !== undefined || first(headers['x-ratelimit-remaining']) === '0';
}

/** The wait until `x-ratelimit-reset` (epoch seconds), when the primary rate limit is exhausted. */
function rateLimitResetMs(headers: AttemptAnswer['headers'], nowMs: number): number | undefined {
  if (first(headers['x-ratelimit-remaining']) !== '0') return undefined;
  const reset = Number(first(headers['x-ratelimit-reset']));
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - nowMs) : undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  return String(e?.code ?? e?.cause?.code ?? '');
}

function describeNetworkError(error: unknown, deps: HttpDeps): string {
  const { timeoutMs } = deps;
  switch (errorCode(error)) {
    case ANSWER_TOO_SLOW:
      return `the answer did not arrive whole within ${seconds(answerDeadline(deps))}`;
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection closed by the server before it answered';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `no answer within ${seconds(timeoutMs)}`;
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    default:
      return (error as Error)?.message?.split('\n')[0] ?? 'network error';
  }
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}
