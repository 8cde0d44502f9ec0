/**
 * HTTP dependencies for phpublish's own tests: a virtual clock (retries do not wait), a test
 * user agent and short timeouts. Not exported from the package.
 */
import type { Dispatcher } from 'undici';
import { virtualClock } from '../../clock.js';
import { DEFAULT_RETRY, type HttpDeps } from '../request.js';

export function testHttpDeps(
  dispatcher: Dispatcher,
  overrides: Partial<Omit<HttpDeps, 'clock' | 'dispatcher'>> = {},
): HttpDeps & { clock: ReturnType<typeof virtualClock> } {
  return {
    dispatcher,
    clock: virtualClock(),
    userAgent: 'phpublish-test/1',
    timeoutMs: 2000,
    retry: DEFAULT_RETRY,
    ...overrides,
  };
}
