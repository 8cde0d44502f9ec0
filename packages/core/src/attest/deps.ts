import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import { DEFAULT_RETRY, type HttpDeps, type RetryPolicy } from '../http/index.js';
import type { Logger, Redactor } from '../log/index.js';
import type { Env } from './ci.js';

/** Everything the attestation steps touch, passed in. */
export interface AttestDeps {
  env: Env;
  /** Every HTTP call phpublish itself makes (token service, GitHub, GitLab) goes through it. */
  dispatcher: Dispatcher;
  clock: Clock;
  userAgent: string;
  /** Tokens read on the way are registered here before anything can print them. */
  redactor: Redactor;
  /** Should already be redacting (`redactingLogger`). */
  logger: Logger;
  retry?: Partial<RetryPolicy>;
}

export function httpDeps(deps: AttestDeps, timeoutSeconds: number): HttpDeps {
  return {
    dispatcher: deps.dispatcher,
    clock: deps.clock,
    userAgent: deps.userAgent,
    timeoutMs: timeoutSeconds * 1000,
    retry: { ...DEFAULT_RETRY, ...deps.retry },
    onRetry: ({ url, attempt, delayMs, reason }) =>
      deps.logger.info(
        `${reason} from ${deps.redactor.redact(url)}; retrying in ${Math.round(delayMs / 100) / 10} s (attempt ${attempt + 1})`,
      ),
  };
}
