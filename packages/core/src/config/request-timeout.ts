import { z } from 'zod';

/**
 * The one definition of a `requestTimeout` option (Packagist's and attestation's): whole seconds,
 * at most ten minutes, 30 by default. `services` names what the option's requests go to.
 */
export function requestTimeoutSchema(services: string) {
  return z
    .number()
    .int()
    .positive()
    .max(600)
    .default(30)
    .describe(`Seconds one HTTP request ${services} may take before it is retried.`);
}
