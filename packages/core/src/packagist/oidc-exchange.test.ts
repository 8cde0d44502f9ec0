import { type SandboxPackagist, startSandboxPackagist } from '@phpublish/sandbox';
import { codeOf } from '@phpublish/testing/errors';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { isPhpublishError } from '../errors/index.js';
import { DEFAULT_RETRY, type HttpDeps } from '../http/index.js';
import { Redactor } from '../log/index.js';
import { discoverOidcExchange, exchangeCiToken, OIDC_EXCHANGE_PATH } from './oidc-exchange.js';

// The client side of the proposed OIDC token exchange, against what a registry may answer: the
// sandbox Packagist answers each case through its fault injection (a real HTTP server on 127.0.0.1).

const agent = new Agent();
const http: HttpDeps = {
  dispatcher: agent,
  clock: systemClock,
  userAgent: 'phpublish-test',
  timeoutMs: 5_000,
  retry: { ...DEFAULT_RETRY, attempts: 1 },
};
const CI_TOKEN = 'header.payload-of-the-ci-job.signature';
let packagist: SandboxPackagist;

beforeEach(async () => {
  packagist = await startSandboxPackagist();
});
afterEach(async () => packagist.close());
afterAll(async () => agent.close());

/** The exchange answers `status` with `body` to the next request. */
function answer(status: number, body: string) {
  packagist.injectFault({ path: OIDC_EXCHANGE_PATH, fault: { status, body } });
}

function exchange(redactor = new Redactor()) {
  return exchangeCiToken({ apiUrl: `${packagist.url}/`, http, redactor, ciToken: CI_TOKEN, packageName: 'acme/hello' });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.catch((e: unknown) => e);
  if (!isPhpublishError(error)) throw new Error(`expected a coded error, got ${String(error)}`);
  return error;
}

describe('when phpublish asks whether the registry offers the exchange', () => {
  it('reads the audience of a well-formed offer', async () => {
    answer(200, '{"audience":"packagist.example"}');
    expect(await discoverOidcExchange(packagist.url, http)).toEqual({ offered: true, audience: 'packagist.example' });
  });

  it('counts an answer without an audience as not offered, and says why', async () => {
    answer(200, '{"audience":""}');
    const offer = await discoverOidcExchange(packagist.url, http);
    expect(offer.offered).toBe(false);
    expect(offer.offered === false && offer.detail).toMatch(/^GET \/api\/oidc\/exchange: /);
  });

  it('counts a registry that cannot be reached as not offered, keeping the network error', async () => {
    packagist.injectFault({ path: OIDC_EXCHANGE_PATH, fault: { reset: true } });
    const offer = await discoverOidcExchange(packagist.url, http);
    expect(offer).toMatchObject({ offered: false, detail: expect.stringMatching(/could not be reached/) });
    expect(offer.offered === false && offer.unreachable).toBeTruthy();
  });
});

describe('when the registry answers the exchange', () => {
  it('returns the short-lived credential and how long it lasts', async () => {
    answer(200, '{"username":"alice","token":"short-lived-1","expiresIn":900}');
    expect(await exchange()).toEqual({ username: 'alice', token: 'short-lived-1', expiresInSeconds: 900 });
  });

  it('refuses a credential that would break the Authorization header, without printing its token', async () => {
    answer(200, '{"username":"ali:ce","token":"leaky-token-value"}');
    const redactor = new Redactor();
    const error = await failure(exchange(redactor));
    expect(isPhpublishError(error, 'PACKAGIST_OIDC_EXCHANGE_FAILED')).toBe(true);
    expect(error.message).toMatch(/not \{"username","token"\}/);
    // Registered with the redactor before any error was built: no later log line can show it either.
    expect(redactor.redact('leaky-token-value')).not.toContain('leaky-token-value');
  });

  it('reports a refusal (HTTP 403) with the registry’s first line, as PACKAGIST_OIDC_EXCHANGE_REFUSED', async () => {
    answer(403, '{"status":"error","message":"No trusted publisher matches\\nsecond line"}');
    const error = await failure(exchange());
    expect(isPhpublishError(error, 'PACKAGIST_OIDC_EXCHANGE_REFUSED')).toBe(true);
    expect(error.message).toContain('No trusted publisher matches');
    expect(error.message).not.toContain('second line');
  });

  it('reports a server error without a JSON message as PACKAGIST_OIDC_EXCHANGE_FAILED with "(no message)"', async () => {
    answer(502, '<html>Bad gateway</html>');
    const error = await failure(exchange());
    expect(isPhpublishError(error, 'PACKAGIST_OIDC_EXCHANGE_FAILED')).toBe(true);
    expect(error.message).toMatch(/HTTP 502: \(no message\)/);
  });

  it('does not send the CI token twice when the connection drops (the registry may have used it)', async () => {
    packagist.injectFault({ path: OIDC_EXCHANGE_PATH, fault: { reset: true }, times: 5 });
    const retrying: HttpDeps = { ...http, retry: { ...DEFAULT_RETRY, attempts: 3, baseDelayMs: 1 } };
    const attempt = exchangeCiToken({
      apiUrl: packagist.url,
      http: retrying,
      redactor: new Redactor(),
      ciToken: CI_TOKEN,
      packageName: 'acme/hello',
    });
    expect(await codeOf(attempt)).toBe('PACKAGIST_OIDC_EXCHANGE_FAILED');
    expect(packagist.requests.filter((r) => r.url === OIDC_EXCHANGE_PATH)).toHaveLength(1);
  });
});
