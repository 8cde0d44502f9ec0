import { PhpublishError } from '../errors/index.js';
import { type HttpDeps, HttpNetworkError, type HttpResponse, publicUrl, requestWithRetry } from '../http/index.js';
import type { Redactor } from '../log/index.js';
import { type HmacCredential, hmacAuthorization } from './hmac.js';

export interface PrivatePackagistClientOptions {
  /** e.g. https://packagist.com (the API is under /api). */
  baseUrl: string;
  http: HttpDeps;
  /** Every token, key, secret and signature is registered here before it can be printed. */
  redactor: Redactor;
}

/** The answer's `message`, one short line, secrets removed (a server could echo what it was sent). */
function serverMessage(res: HttpResponse, redactor: Redactor): string {
  let text: string;
  try {
    const message = (JSON.parse(res.body) as { message?: unknown }).message;
    text = typeof message === 'string' ? message : res.body;
  } catch {
    text = res.body;
  }
  const line = text
    .replace(/<[^>]*>/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
  return redactor.redact(line || '(empty body)');
}

/**
 * Private Packagist's trusted-publishing API: the OIDC audience, the token exchange, and the
 * artifact endpoints signed with the exchanged credential. Tokens and credentials travel in the
 * Authorization header only; every answer becomes a result or a coded error.
 */
export class PrivatePackagistClient {
  readonly #options: PrivatePackagistClientOptions;

  constructor(options: PrivatePackagistClientOptions) {
    this.#options = options;
  }

  #url(path: string): string {
    return `${this.#options.baseUrl.replace(/\/+$/, '')}/api${path}`;
  }

  /**
   * One request through the retry loop. A 5xx that outlasted the retries is the server's failure,
   * never a refusal of what was sent: it gets its own code rather than the step's.
   */
  async #send(req: Parameters<typeof requestWithRetry>[0]): Promise<HttpResponse> {
    let res: HttpResponse;
    try {
      res = await requestWithRetry(req, this.#options.http);
    } catch (error) {
      if (!(error instanceof HttpNetworkError)) throw error;
      throw new PhpublishError(
        'PRIVATE_PACKAGIST_UNREACHABLE',
        { url: this.#options.baseUrl, reason: this.#options.redactor.redact(error.reason) },
        { cause: error },
      );
    }
    if (res.status >= 500) {
      throw new PhpublishError('PRIVATE_PACKAGIST_SERVER_ERROR', {
        url: publicUrl(req.url),
        status: res.status,
        serverMessage: serverMessage(res, this.#options.redactor),
      });
    }
    return res;
  }

  /** A success whose body is not what the API documents: nothing of it is used. */
  #malformed(res: HttpResponse, url: string, problem: string): PhpublishError {
    return new PhpublishError('REMOTE_ANSWER_MALFORMED', {
      service: 'Private Packagist',
      url: publicUrl(url),
      status: res.status,
      problem,
    });
  }

  /** GET /api/oidc/audience/<org>, falling back to the older /api/oidc/audience. */
  async audience(organization: string): Promise<string> {
    let res = await this.#send({
      method: 'GET',
      url: this.#url(`/oidc/audience/${encodeURIComponent(organization)}`),
      idempotent: true,
    });
    if (res.status === 404 || res.status === 405) {
      const older = await this.#send({ method: 'GET', url: this.#url('/oidc/audience'), idempotent: true });
      if (older.status === 200) res = older;
    }
    let audience: unknown;
    try {
      audience = (JSON.parse(res.body) as { audience?: unknown }).audience;
    } catch {
      audience = undefined;
    }
    if (res.status !== 200 || typeof audience !== 'string' || audience === '') {
      throw new PhpublishError('PRIVATE_PACKAGIST_AUDIENCE_UNAVAILABLE', {
        organization,
        status: res.status,
        serverMessage: res.status === 200 ? 'the answer names no audience' : serverMessage(res, this.#options.redactor),
      });
    }
    return audience;
  }

  /**
   * POST /api/oidc/token-exchange/<org>/<package> with the CI's OIDC token → a credential for this
   * package, valid 15 minutes. `describeRun` names the workflow for the no-publisher error.
   */
  async exchange(input: {
    organization: string;
    packageName: string;
    oidcToken: string;
    audience: string;
    workflow: string;
  }): Promise<HmacCredential> {
    const { redactor } = this.#options;
    const url = this.#url(`/oidc/token-exchange/${encodeURIComponent(input.organization)}/${input.packageName}`);
    const res = await this.#send({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${input.oidcToken}` },
      idempotent: false,
    });
    let body: { key?: unknown; secret?: unknown } = {};
    try {
      body = JSON.parse(res.body);
    } catch {}
    // Registered before anything else can print the answer.
    if (typeof body.key === 'string') redactor.add(body.key);
    if (typeof body.secret === 'string') redactor.add(body.secret);
    if (res.status === 200 && typeof body.key === 'string' && typeof body.secret === 'string') {
      return { key: body.key, secret: body.secret };
    }
    if (res.status >= 200 && res.status < 300) throw this.#malformed(res, url, 'no `key` and `secret` in the answer');
    const detail = { status: res.status, serverMessage: serverMessage(res, redactor) };
    if (res.status === 403 || res.status === 404) {
      throw new PhpublishError('PRIVATE_PACKAGIST_NO_TRUSTED_PUBLISHER', {
        ...detail,
        packageName: input.packageName,
        organization: input.organization,
        workflow: input.workflow,
      });
    }
    if (res.status === 401 && /audience/i.test(detail.serverMessage)) {
      throw new PhpublishError('PRIVATE_PACKAGIST_AUDIENCE_REJECTED', { ...detail, audience: input.audience });
    }
    throw new PhpublishError('PRIVATE_PACKAGIST_TOKEN_REJECTED', detail);
  }

  /** A POST signed with the credential; a fresh nonce and timestamp for each request. */
  async #signed(credential: HmacCredential, path: string, body: Uint8Array, headers: Record<string, string>) {
    const url = this.#url(path);
    const authorization = hmacAuthorization(credential, {
      method: 'POST',
      url,
      body,
      timestamp: Math.floor(this.#options.http.clock.now() / 1000),
    });
    this.#options.redactor.add(authorization.replace(/^.*Signature=/, ''));
    // Not idempotent: a resent request would carry a used nonce.
    const res = await this.#send({
      method: 'POST',
      url,
      headers: { ...headers, authorization },
      body,
      idempotent: false,
    });
    if (res.status === 401) {
      throw new PhpublishError('PRIVATE_PACKAGIST_SIGNATURE_REJECTED', {
        status: res.status,
        serverMessage: serverMessage(res, this.#options.redactor),
      });
    }
    return res;
  }

  #uploadFailed(res: HttpResponse, packageName: string, fileName: string): PhpublishError {
    return new PhpublishError('PRIVATE_PACKAGIST_UPLOAD_FAILED', {
      status: res.status,
      serverMessage: serverMessage(res, this.#options.redactor),
      packageName,
      fileName,
    });
  }

  /**
   * Publishes the zip as a version of the package: POST /api/packages/<name>/artifacts/, or, for a
   * package Private Packagist does not have yet (404), POST /api/packages/artifacts/ and then
   * POST /api/packages/ `{repoType: 'artifact', artifactIds: [id]}`.
   */
  async publishArtifact(
    credential: HmacCredential,
    input: { packageName: string; fileName: string; zip: Uint8Array },
  ): Promise<'uploaded' | 'package-created'> {
    const { packageName, fileName, zip } = input;
    const fileHeaders = { 'content-type': 'application/zip', 'x-filename': fileName };
    const added = await this.#signed(credential, `/packages/${packageName}/artifacts/`, zip, fileHeaders);
    if (added.status === 200 || added.status === 201) return 'uploaded';
    if (added.status !== 404) throw this.#uploadFailed(added, packageName, fileName);

    const created = await this.#signed(credential, '/packages/artifacts/', zip, fileHeaders);
    let id: unknown;
    try {
      id = (JSON.parse(created.body) as { id?: unknown }).id;
    } catch {}
    if (created.status !== 200 && created.status !== 201) throw this.#uploadFailed(created, packageName, fileName);
    if (typeof id !== 'number' && typeof id !== 'string') {
      throw this.#malformed(created, this.#url('/packages/artifacts/'), 'no artifact `id` in the answer');
    }
    const body = Buffer.from(JSON.stringify({ repoType: 'artifact', artifactIds: [id] }));
    const pkg = await this.#signed(credential, '/packages/', body, { 'content-type': 'application/json' });
    if (pkg.status !== 200 && pkg.status !== 201) throw this.#uploadFailed(pkg, packageName, fileName);
    return 'package-created';
  }
}
