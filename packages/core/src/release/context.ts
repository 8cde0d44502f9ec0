import { Agent, type Dispatcher } from 'undici';
import type { AttestDeps } from '../attest/deps.js';
import { type Clock, systemClock } from '../clock.js';
import { type Env, type ResolvedConfig, resolveConfig } from '../config/index.js';
import type { RetryPolicy } from '../http/index.js';
import { type Logger, Redactor, redactingLogger } from '../log/index.js';
import { PackagistClient } from '../packagist/index.js';
import { readSigningKeyMaterial } from '../pgp/key-material.js';
import { userAgent } from '../version.js';

/** Everything a release step depends on, passed in explicitly (nothing is read from globals deeper down). */
export interface ReleaseContext {
  cwd: string;
  env: Env;
  clock: Clock;
  /** Already redacting: every secret of `config` is registered with `redactor`. */
  logger: Logger;
  redactor: Redactor;
  dispatcher: Dispatcher;
  config: ResolvedConfig;
  /** The product named in the User-Agent (adapters say which host they run in). */
  userAgent: string;
  /** Overrides of the HTTP retry policy (tests and rehearsals keep waits short); the default otherwise. */
  retry?: Partial<RetryPolicy>;
}

export interface CreateReleaseContextInput {
  cwd: string;
  env: Env;
  options?: unknown;
  logger: Logger;
  clock?: Clock;
  dispatcher?: Dispatcher;
  /** e.g. `phpublish-semantic-release`; defaults to `phpublish`. */
  product?: string;
  /** Overrides of the HTTP retry policy, for every service (sigstore-js waits in real time, not on `clock`). */
  retry?: Partial<RetryPolicy>;
}

/**
 * Resolves the configuration and wires the context every step uses. Throws every configuration
 * problem at once. Secrets are registered before anything can log.
 */
export function createReleaseContext(input: CreateReleaseContextInput): ReleaseContext {
  const redactor = new Redactor();
  // Register secrets straight from the environment first, so that even configuration errors cannot leak them.
  redactor.add(input.env['PACKAGIST_API_TOKEN']);
  for (const secret of readSigningKeyMaterial({ env: input.env }).secrets) redactor.add(secret);
  const logger = redactingLogger(input.logger, redactor);
  const config = resolveConfig(input.options, { env: input.env });
  for (const secret of config.secrets) redactor.add(secret);
  return {
    cwd: input.cwd,
    env: input.env,
    clock: input.clock ?? systemClock,
    logger,
    redactor,
    dispatcher: input.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connections: 10 }),
    config,
    userAgent: userAgent(input.product),
    ...(input.retry ? { retry: input.retry } : {}),
  };
}

export function packagistClientFor(context: ReleaseContext): PackagistClient {
  const { options, packagist } = context.config;
  return new PackagistClient({
    apiUrl: options.packagist.url,
    repoUrl: options.packagist.repoUrl,
    dispatcher: context.dispatcher,
    clock: context.clock,
    userAgent: context.userAgent,
    credentials: packagist.credentials,
    timeoutMs: options.packagist.requestTimeout * 1000,
    ...(context.retry ? { retry: context.retry } : {}),
    onRetry: ({ url, attempt, delayMs, reason }) =>
      context.logger.info(
        `Packagist: ${reason} from ${url}; retrying in ${Math.round(delayMs / 100) / 10} s (attempt ${attempt + 1})`,
      ),
  });
}

/** What the attestation steps need, from the release context. */
export function attestDepsFor(context: ReleaseContext): AttestDeps {
  return {
    env: context.env,
    dispatcher: context.dispatcher,
    clock: context.clock,
    userAgent: context.userAgent,
    redactor: context.redactor,
    logger: context.logger,
    ...(context.retry ? { retry: context.retry } : {}),
  };
}
