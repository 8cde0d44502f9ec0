import { describe, expect, it } from 'vitest';
import { PhpublishError } from '../errors/index.js';
import { HttpNetworkError } from '../http/index.js';
import { createReleaseContext } from './context.js';
import { DIAGNOSTIC_TIMEOUT_SECONDS, diagnosticContext, isUnreachable } from './doctor-briefly.js';

const logger = { info() {}, warn() {}, error() {}, success() {} };

function contextWith(requestTimeout: { packagist: number; attest: number }) {
  return createReleaseContext({
    cwd: '/nowhere',
    env: {},
    logger,
    options: {
      packagist: { requestTimeout: requestTimeout.packagist },
      attest: { requestTimeout: requestTimeout.attest },
    },
    retry: { attempts: 3, baseDelayMs: 10 },
  });
}

describe('diagnosticContext', () => {
  it('makes one attempt per request, whatever the context had', () => {
    const context = diagnosticContext(contextWith({ packagist: 30, attest: 30 }));
    expect(context.retry).toEqual({ attempts: 1, baseDelayMs: 10 });
  });

  describe('when the configured timeouts are long', () => {
    it('caps both requestTimeouts to the brief one', () => {
      const { options } = diagnosticContext(contextWith({ packagist: 600, attest: 120 })).config;
      expect([options.packagist.requestTimeout, options.attest.requestTimeout]).toEqual([
        DIAGNOSTIC_TIMEOUT_SECONDS,
        DIAGNOSTIC_TIMEOUT_SECONDS,
      ]);
    });
  });

  describe('when the configured timeouts are already short', () => {
    it('keeps them', () => {
      const { options } = diagnosticContext(contextWith({ packagist: 1, attest: 2 })).config;
      expect([options.packagist.requestTimeout, options.attest.requestTimeout]).toEqual([1, 2]);
    });
  });
});

describe('isUnreachable', () => {
  const network = new HttpNetworkError('https://packagist.org/p2/a/b.json', 'connection refused', 1);

  it('is true for a coded error caused, at any depth, by a request that got no answer', () => {
    const direct = new PhpublishError(
      'PACKAGIST_UNREACHABLE',
      { url: network.url, reason: network.reason, attempts: 1 },
      { cause: network },
    );
    const wrapped = new PhpublishError(
      'PACKAGIST_OIDC_NO_CI_TOKEN',
      { reason: 'no token', variable: 'X' },
      { cause: direct },
    );
    expect([isUnreachable(direct), isUnreachable(wrapped)]).toEqual([true, true]);
  });

  it('is false for a problem with an answer, or with no cause', () => {
    const refused = new PhpublishError('PACKAGIST_NOT_LISTED', { packageName: 'a/b' });
    const other = new PhpublishError('PACKAGIST_NOT_LISTED', { packageName: 'a/b' }, { cause: new Error('boom') });
    expect([isUnreachable(refused), isUnreachable(other)]).toEqual([false, false]);
  });
});
