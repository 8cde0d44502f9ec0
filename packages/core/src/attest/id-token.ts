import { PhpublishError } from '../errors/index.js';
import { type HttpDeps, HttpNetworkError, requestWithRetry } from '../http/index.js';
import type { Redactor } from '../log/index.js';
import { type CiPlatform, ciName, type Env } from './ci.js';

/** The claims of a CI ID token, as the CI wrote them (GitHub: all strings; GitLab: mostly). */
export type IdentityClaims = Readonly<Record<string, unknown>>;

/** The CI's ID token for Sigstore, and what it says. `token` is a secret, already known to the redactor. */
export interface IdentityToken {
  readonly platform: CiPlatform;
  readonly token: string;
  readonly claims: IdentityClaims;
}

/** The audience Fulcio accepts (its OIDC client ID). */
export const SIGSTORE_AUDIENCE = 'sigstore';

/** Claims the provenance statement and Fulcio's certificate are made from; a token without them is useless. */
const REQUIRED_CLAIMS: Record<CiPlatform, readonly string[]> = {
  'github-actions': [
    'iss',
    'sub',
    'repository',
    'repository_id',
    'repository_owner',
    'repository_owner_id',
    'workflow_ref',
    'job_workflow_ref',
    'ref',
    'sha',
    'event_name',
    'run_id',
    'run_attempt',
  ],
  'gitlab-ci': ['iss', 'sub', 'project_path', 'project_id', 'ci_config_ref_uri', 'ref', 'ref_type', 'sha', 'job_id'],
};

/** A string claim that must be there (validated by `readIdentityToken`). */
export function claim(claims: IdentityClaims, name: string): string {
  const value = claims[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/**
 * Registers the token with the redactor, then checks that it is a JWT for Sigstore with the claims
 * phpublish needs. The signature is not checked here: Fulcio checks it against the issuer's keys.
 */
export function readIdentityToken(
  platform: CiPlatform,
  token: string,
  deps: { redactor: Redactor; nowMs: number; audience?: string },
): IdentityToken {
  const expectedAudience = deps.audience ?? SIGSTORE_AUDIENCE;
  const value = token.trim();
  deps.redactor.add(value);
  const parts = value.split('.');
  // The signature alone is enough to recognise a token cut across lines.
  if (parts.length === 3) deps.redactor.add(parts[2]);
  const invalid = (problem: string) => new PhpublishError('ATTEST_ID_TOKEN_INVALID', { ci: ciName(platform), problem });
  if (parts.length !== 3) throw invalid('it is not a JWT (three dot-separated parts)');
  let claims: IdentityClaims;
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    throw invalid('its claims are not JSON');
  }
  if (typeof claims !== 'object' || claims === null) throw invalid('its claims are not a JSON object');
  const audience = claims['aud'];
  const audiences = Array.isArray(audience) ? audience : [audience];
  if (!audiences.includes(expectedAudience)) {
    throw invalid(`its audience is ${JSON.stringify(audience)}, not "${expectedAudience}"`);
  }
  const exp = claims['exp'];
  if (typeof exp === 'number' && exp * 1000 < deps.nowMs) throw invalid('it has expired');
  const missing = REQUIRED_CLAIMS[platform].filter((name) => claim(claims, name) === '');
  if (missing.length > 0) throw invalid(`it lacks the claim${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return { platform, token: value, claims };
}

export interface ObtainIdentityTokenInput {
  platform: CiPlatform;
  env: Env;
  /** GitLab: the `id_tokens:` variable. */
  tokenVariable: string;
  http: HttpDeps;
  redactor: Redactor;
  /** The audience to ask for (GitHub) and to expect; `sigstore` by default. A registry's exchange has its own. */
  audience?: string;
}

/**
 * The CI's ID token for the `sigstore` audience. GitHub Actions: requested from the job's token service
 * (ACTIONS_ID_TOKEN_REQUEST_URL + `audience=sigstore`, the request token as a bearer token); their
 * absence means the workflow lacks `id-token: write`. GitLab CI: the variable declared in `id_tokens:`.
 */
export async function obtainIdentityToken(input: ObtainIdentityTokenInput): Promise<IdentityToken> {
  const { env, redactor, http } = input;
  const nowMs = http.clock.now();
  const audience = input.audience ?? SIGSTORE_AUDIENCE;
  if (input.platform === 'gitlab-ci') {
    const token = env[input.tokenVariable]?.trim();
    if (!token) throw new PhpublishError('ATTEST_ID_TOKEN_MISSING', { variable: input.tokenVariable });
    return readIdentityToken('gitlab-ci', token, { redactor, nowMs, audience });
  }

  const requestUrl = env['ACTIONS_ID_TOKEN_REQUEST_URL']?.trim();
  const requestToken = env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']?.trim();
  redactor.add(requestToken);
  if (!requestUrl || !requestToken) throw new PhpublishError('ATTEST_ID_TOKEN_PERMISSION_MISSING');
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    throw new PhpublishError('ATTEST_ID_TOKEN_REQUEST_FAILED', { reason: 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL' });
  }
  url.searchParams.set('audience', audience);
  let response: Awaited<ReturnType<typeof requestWithRetry>>;
  try {
    response = await requestWithRetry(
      { method: 'GET', url: url.href, headers: { authorization: `Bearer ${requestToken}` }, idempotent: true },
      http,
    );
  } catch (error) {
    if (!(error instanceof HttpNetworkError)) throw error;
    throw new PhpublishError(
      'ATTEST_ID_TOKEN_REQUEST_FAILED',
      { reason: redactor.redact(error.reason) },
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = (JSON.parse(response.body) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  // Register before anything can print the body.
  if (typeof value === 'string') redactor.add(value);
  if (response.status !== 200 || typeof value !== 'string') {
    const message = safeMessage(response.body);
    throw new PhpublishError('ATTEST_ID_TOKEN_REQUEST_FAILED', {
      status: response.status,
      reason: redactor.redact(message ?? (response.status === 200 ? 'the answer has no token' : 'no token issued')),
    });
  }
  return readIdentityToken('github-actions', value, { redactor, nowMs, audience });
}

/** The `message` of a JSON error answer, short and single-line. */
function safeMessage(body: string): string | undefined {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === 'string' ? message.split('\n')[0]!.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}
