import type { PhpublishError } from '../errors/index.js';
import { HttpNetworkError, type RetryPolicy } from '../http/index.js';
import type { ReleaseContext } from './context.js';

/**
 * Diagnostics ask each service once: doctor is often run on a laptop, offline, and waiting out a
 * release's retries there (about 7 s per service) tells nothing more than the first failure.
 */
export const DIAGNOSTIC_RETRY: Partial<RetryPolicy> = { attempts: 1 };

/** And briefly: a service that has not answered within this many seconds is reported as such. */
export const DIAGNOSTIC_TIMEOUT_SECONDS = 5;

/**
 * The release context with diagnostics' HTTP policy: one attempt per request, and every
 * `requestTimeout` (Packagist's and attestation's) at most DIAGNOSTIC_TIMEOUT_SECONDS.
 */
export function diagnosticContext(context: ReleaseContext): ReleaseContext {
  const { options } = context.config;
  const brief = (seconds: number) => Math.min(seconds, DIAGNOSTIC_TIMEOUT_SECONDS);
  return {
    ...context,
    retry: { ...context.retry, ...DIAGNOSTIC_RETRY },
    config: {
      ...context.config,
      options: {
        ...options,
        packagist: { ...options.packagist, requestTimeout: brief(options.packagist.requestTimeout) },
        attest: { ...options.attest, requestTimeout: brief(options.attest.requestTimeout) },
      },
    },
  };
}

/** Whether the problem is that a service never answered (refused, reset, timed out, no such host). */
export function isUnreachable(problem: PhpublishError): boolean {
  for (let cause: unknown = problem.cause; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof HttpNetworkError) return true;
  }
  return false;
}
