import { z } from 'zod';
import { PhpublishError } from '../errors/index.js';
import {
  type HttpDeps,
  HttpNetworkError,
  type HttpResponse,
  parseJsonAnswer,
  requestWithRetry,
} from '../http/index.js';
import type { Redactor } from '../log/index.js';
import type { PackagistCredentials } from './credentials.js';

/**
 * The client side of the OIDC token exchange proposed for packagist.org (docs/oidc.md). One path:
 * `GET` says whether the exchange exists and which audience CI tokens must carry; `POST` trades a CI
 * job's ID token for a short-lived credential for one package.
 */
export const OIDC_EXCHANGE_PATH = '/api/oidc/exchange';

export type OidcExchangeOffer =
  | { offered: true; audience: string }
  /** `unreachable`: the registry never answered (so whether it offers the exchange is not known). */
  | { offered: false; detail: string; unreachable?: HttpNetworkError };

/** A short-lived credential, used exactly like `PACKAGIST_USERNAME`/`PACKAGIST_API_TOKEN` on update-package. */
export interface ShortLivedCredentials extends PackagistCredentials {
  expiresInSeconds?: number;
}

const offerSchema = z.looseObject({ audience: z.string().min(1) });
const credentialSchema = z.looseObject({
  // Sent as `Bearer <username>:<token>`: neither may hold what would break that header.
  username: z.string().regex(/^[^\s:]+$/),
  token: z.string().regex(/^\S+$/),
  expiresIn: z.number().positive().optional(),
});

const exchangeUrl = (apiUrl: string) => `${apiUrl.replace(/\/+$/, '')}${OIDC_EXCHANGE_PATH}`;

/** Whether the registry offers the exchange. Anything but a well-formed offer counts as "not offered". */
export async function discoverOidcExchange(apiUrl: string, http: HttpDeps): Promise<OidcExchangeOffer> {
  let res: HttpResponse;
  try {
    res = await requestWithRetry({ method: 'GET', url: exchangeUrl(apiUrl), idempotent: true }, http);
  } catch (error) {
    if (!(error instanceof HttpNetworkError)) throw error;
    return { offered: false, detail: `it could not be reached: ${error.reason}`, unreachable: error };
  }
  if (res.status !== 200) return { offered: false, detail: `GET ${OIDC_EXCHANGE_PATH} answered HTTP ${res.status}` };
  const answer = parseJsonAnswer(res.body, offerSchema);
  if ('problem' in answer) return { offered: false, detail: `GET ${OIDC_EXCHANGE_PATH}: ${answer.problem}` };
  return { offered: true, audience: answer.data.audience };
}

/**
 * Trades the CI's ID token for a credential for `packageName`. Not retried when the server may have
 * acted: an exchanged token cannot be exchanged again. The credential is registered with the redactor
 * before anything can print it.
 */
export async function exchangeCiToken(input: {
  apiUrl: string;
  http: HttpDeps;
  redactor: Redactor;
  ciToken: string;
  packageName: string;
}): Promise<ShortLivedCredentials> {
  const url = exchangeUrl(input.apiUrl);
  let res: HttpResponse;
  try {
    res = await requestWithRetry(
      {
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${input.ciToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ package: input.packageName }),
        idempotent: false,
      },
      input.http,
    );
  } catch (error) {
    if (!(error instanceof HttpNetworkError)) throw error;
    throw new PhpublishError('PACKAGIST_OIDC_EXCHANGE_FAILED', { url, problem: input.redactor.redact(error.reason) });
  }
  const token = rawToken(res.body);
  if (token) input.redactor.add(token);
  if (res.status === 200) {
    const answer = parseJsonAnswer(res.body, credentialSchema);
    if ('problem' in answer) {
      throw new PhpublishError('PACKAGIST_OIDC_EXCHANGE_FAILED', {
        url,
        problem: `the answer is not {"username","token"} (${input.redactor.redact(answer.problem)})`,
      });
    }
    const { username, expiresIn } = answer.data;
    return { username, token: answer.data.token, ...(expiresIn ? { expiresInSeconds: expiresIn } : {}) };
  }
  const serverMessage = input.redactor.redact(errorMessage(res.body) ?? '(no message)');
  if (res.status === 400 || res.status === 401 || res.status === 403) {
    throw new PhpublishError('PACKAGIST_OIDC_EXCHANGE_REFUSED', {
      packageName: input.packageName,
      status: res.status,
      serverMessage,
    });
  }
  throw new PhpublishError('PACKAGIST_OIDC_EXCHANGE_FAILED', { url, problem: `HTTP ${res.status}: ${serverMessage}` });
}

/** The `token` of an answer, whatever else is wrong with it (so that it is redacted before any error is built). */
function rawToken(body: string): string | undefined {
  try {
    const token = (JSON.parse(body) as { token?: unknown }).token;
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
}

/** Packagist's `{"status":"error","message":"…"}`, one short line. */
function errorMessage(body: string): string | undefined {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === 'string' ? message.split('\n')[0]!.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}
