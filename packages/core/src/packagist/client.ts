import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { PhpublishError } from '../errors/index.js';
import {
  type AnswerLimits,
  DEFAULT_RETRY,
  type HttpDeps,
  HttpNetworkError,
  type HttpRequest,
  type HttpResponse,
  parseJsonAnswer,
  type RetryPolicy,
  requestWithRetry,
} from '../http/index.js';
import type { PackagistCredentials } from './credentials.js';
import { type PackageVersion, versionsFromP2 } from './minified.js';

export interface PackagistClientOptions {
  /** Packagist API base, e.g. https://packagist.org. */
  apiUrl: string;
  /** Composer repository base that serves p2 metadata, e.g. https://repo.packagist.org. */
  repoUrl: string;
  dispatcher: Dispatcher;
  clock: Clock;
  userAgent: string;
  credentials?: PackagistCredentials;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  onRetry?: HttpDeps['onRetry'];
  /** The largest answers accepted (p2 metadata is `metadata`, the API's answers `api`). */
  limits?: Partial<AnswerLimits>;
}

export interface UpdatePackageResult {
  jobs: string[];
  /** `manual` for token calls; other values come from webhooks. */
  type: string;
}

/** A job's state as /jobs/{id} reports it. `running` also means "unknown or expired". */
export interface JobStatus {
  status: 'running' | 'completed' | 'failed' | 'errored' | 'package_gone' | 'package_deleted' | (string & {});
  message: string;
}

export type VersionsResult =
  | { state: 'found'; versions: PackageVersion[]; lastModified?: string }
  | { state: 'not-modified' }
  | { state: 'not-found' };

/**
 * Packagist's HTTP API on undici. Credentials only ever travel in the Authorization header, never
 * in a URL; every answer the API gives becomes a result or a coded PhpublishError.
 */
export class PackagistClient {
  readonly #options: PackagistClientOptions;
  readonly #http: HttpDeps;

  constructor(options: PackagistClientOptions) {
    this.#options = options;
    this.#http = {
      dispatcher: options.dispatcher,
      clock: options.clock,
      userAgent: options.userAgent,
      timeoutMs: options.timeoutMs ?? 30_000,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      onRetry: options.onRetry,
      ...(options.limits ? { limits: options.limits } : {}),
    };
  }

  get hasCredentials(): boolean {
    return this.#options.credentials !== undefined;
  }

  /** POST /api/update-package: asks Packagist to crawl the repository now. Safe to repeat (Packagist reuses a queued job). */
  async updatePackage(repositoryUrl: string): Promise<UpdatePackageResult> {
    const res = await this.#send(
      {
        method: 'POST',
        url: this.#api('/api/update-package'),
        body: JSON.stringify({ repository: repositoryUrl }),
        idempotent: true,
      },
      { authenticated: true },
    );
    if (res.status === 202 || res.status === 200) {
      const answer = parseJsonAnswer(res.body, updateAnswerSchema);
      if ('problem' in answer) {
        throw this.#badResponse(
          res,
          '/api/update-package',
          `the answer is not {"status":"success","jobs":[…]} (${answer.problem})`,
        );
      }
      return { jobs: answer.data.jobs, type: answer.data.type ?? 'manual' };
    }
    const server = serverMessage(res);
    if (res.status === 404 && server.json) {
      throw new PhpublishError('PACKAGIST_PACKAGE_NOT_FOUND', {
        repositoryUrl,
        username: this.#options.credentials?.username,
      });
    }
    if (res.status === 406 && /repository url/i.test(server.text)) {
      throw new PhpublishError('PACKAGIST_REPOSITORY_URL_REJECTED', {
        repositoryUrl,
        status: res.status,
        serverMessage: server.text,
      });
    }
    throw this.#mapFailure(res, '/api/update-package', { sentCredentials: this.hasCredentials });
  }

  /**
   * POST /api/create-package (main token only). Not idempotent, so it is not retried after a
   * timeout; "already exists" after our own earlier attempt counts as done.
   */
  async createPackage(repositoryUrl: string): Promise<{ created: boolean }> {
    const res = await this.#send(
      {
        method: 'POST',
        url: this.#api('/api/create-package'),
        body: JSON.stringify({ repository: repositoryUrl }),
        idempotent: false,
      },
      { authenticated: true },
    );
    if (res.status === 202 || res.status === 200) return { created: true };
    const server = serverMessage(res);
    if (res.status === 406 && /username\/apiToken/i.test(server.text)) {
      throw new PhpublishError('PACKAGIST_MAIN_TOKEN_REQUIRED', { status: res.status, serverMessage: server.text });
    }
    if (res.status === 406 && server.field !== undefined) {
      if (/already exists/i.test(server.text)) return { created: false };
      throw new PhpublishError('PACKAGIST_CREATE_REJECTED', {
        status: res.status,
        serverMessage: server.text,
        field: server.field,
      });
    }
    if (res.status === 406 && /expected in payload/i.test(server.text)) {
      throw new PhpublishError('PACKAGIST_PAYLOAD_REJECTED', { status: res.status, serverMessage: server.text });
    }
    throw this.#mapFailure(res, '/api/create-package', { sentCredentials: this.hasCredentials });
  }

  /** GET /jobs/{id}. No authentication; results expire after about 10 minutes (then: running). */
  async getJob(id: string): Promise<JobStatus> {
    if (!/^[a-f0-9]+$/.test(id)) {
      throw new PhpublishError('PACKAGIST_BAD_RESPONSE', {
        url: this.#api('/jobs/'),
        status: 202,
        problem: 'update-package returned a job id that is not hexadecimal',
      });
    }
    const res = await this.#send(
      { method: 'GET', url: this.#api(`/jobs/${id}`), idempotent: true },
      { authenticated: false },
    );
    if (res.status !== 200) throw this.#mapFailure(res, `/jobs/${id}`, { sentCredentials: false });
    const answer = parseJsonAnswer(res.body, jobAnswerSchema);
    if ('problem' in answer)
      throw this.#badResponse(res, `/jobs/${id}`, `the answer is not a job's status (${answer.problem})`);
    return { status: answer.data.status, message: stripHtml(answer.data.message ?? '') };
  }

  /** GET /p2/<vendor>/<name>.json, expanded. Sends If-Modified-Since when given. */
  async getVersions(
    packageName: string,
    { ifModifiedSince }: { ifModifiedSince?: string } = {},
  ): Promise<VersionsResult> {
    const url = `${this.#options.repoUrl.replace(/\/+$/, '')}/p2/${packageName.toLowerCase()}.json`;
    const res = await this.#send(
      {
        method: 'GET',
        url,
        idempotent: true,
        answer: 'metadata',
        headers: ifModifiedSince ? { 'if-modified-since': ifModifiedSince } : {},
      },
      { authenticated: false },
    );
    if (res.status === 304) return { state: 'not-modified' };
    if (res.status === 404) return { state: 'not-found' };
    if (res.status !== 200) throw this.#mapFailure(res, url, { sentCredentials: false });
    let versions: PackageVersion[];
    try {
      versions = versionsFromP2(JSON.parse(res.body), packageName);
    } catch (error) {
      throw new PhpublishError(
        'PACKAGIST_METADATA_INVALID',
        { url, problem: error instanceof SyntaxError ? 'it is not JSON' : (error as Error).message },
        { cause: error },
      );
    }
    const lastModified = res.headers['last-modified'];
    return { state: 'found', versions, ...(typeof lastModified === 'string' ? { lastModified } : {}) };
  }

  #api(path: string): string {
    return `${this.#options.apiUrl.replace(/\/+$/, '')}${path}`;
  }

  async #send(req: HttpRequest, { authenticated }: { authenticated: boolean }): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) {
      // Exactly this value: Packagist ignores the body when a charset parameter is added.
      headers['content-type'] = 'application/json';
    }
    const credentials = this.#options.credentials;
    if (authenticated && credentials) headers['authorization'] = `Bearer ${credentials.username}:${credentials.token}`;
    try {
      return await requestWithRetry({ ...req, headers }, this.#http);
    } catch (error) {
      if (error instanceof HttpNetworkError) {
        throw new PhpublishError(
          'PACKAGIST_UNREACHABLE',
          { url: req.url, reason: error.reason, attempts: error.attempts },
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * An answer that is not a success, as a coded error. A refusal means the credentials only when
   * some were sent: without, it is a refusal of access (a private repository, a proxy, a block).
   */
  #mapFailure(res: HttpResponse, what: string, { sentCredentials }: { sentCredentials: boolean }): PhpublishError {
    const server = serverMessage(res);
    const detail = { status: res.status, serverMessage: server.text };
    if (!sentCredentials && (res.status === 401 || res.status === 403)) {
      return new PhpublishError('PACKAGIST_ACCESS_DENIED', { ...detail, url: this.#url(what) });
    }
    if (res.status === 403 || (res.status === 406 && /username\/apiToken/i.test(server.text))) {
      return new PhpublishError('PACKAGIST_AUTH_REJECTED', detail);
    }
    if (res.status === 406) return new PhpublishError('PACKAGIST_PAYLOAD_REJECTED', detail);
    if (res.status === 429) {
      const retryAfter = Number(res.headers['retry-after']);
      return new PhpublishError(
        'PACKAGIST_RATE_LIMITED',
        Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {},
      );
    }
    if (res.status >= 500) return new PhpublishError('PACKAGIST_UNAVAILABLE', { ...detail, attempts: res.attempts });
    return this.#badResponse(res, what, server.json ? server.text : 'the answer is not Packagist’s JSON');
  }

  #badResponse(res: HttpResponse, what: string, problem: string): PhpublishError {
    return new PhpublishError('PACKAGIST_BAD_RESPONSE', { url: this.#url(what), status: res.status, problem });
  }

  /** An API path, or a URL already whole (p2 metadata lives on another host). */
  #url(what: string): string {
    return what.startsWith('http') ? what : this.#api(what);
  }
}

/** update-package's success: `{"status":"success","jobs":["<hex>"…],"type":"manual"}`. */
const updateAnswerSchema = z.looseObject({
  status: z.literal('success'),
  jobs: z.array(z.string()),
  type: z.string().optional(),
});

/** /jobs/{id}: `{"status":"completed","message":"…"}` (message may hold HTML). */
const jobAnswerSchema = z.looseObject({ status: z.string(), message: z.string().nullish() });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Packagist's error bodies: `{"status":"error","message":"…"}`, or, for create-package
 * validation, `{"status":"error","message":{"repository":"…"}}` (may contain HTML).
 */
function serverMessage(res: HttpResponse): { text: string; json: boolean; field?: string } {
  const body = parseJson(res.body) as { message?: unknown } | undefined;
  if (body && typeof body === 'object') {
    if (typeof body.message === 'string') return { text: clip(stripHtml(body.message)), json: true };
    if (body.message && typeof body.message === 'object') {
      const entries = Object.entries(body.message as Record<string, unknown>);
      return {
        text: clip(entries.map(([k, v]) => `${k}: ${stripHtml(String(v))}`).join('; ')),
        json: true,
        field: entries[0]?.[0],
      };
    }
    return { text: clip(JSON.stringify(body)), json: true };
  }
  const plain = stripHtml(res.body).replace(/\s+/g, ' ').trim();
  return { text: plain ? clip(plain) : '(empty body)', json: false };
}

function stripHtml(text: string): string {
  return text
    .replace(/<[^>]*>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&#039;|&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
