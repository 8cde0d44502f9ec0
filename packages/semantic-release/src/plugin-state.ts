import type {
  CreateReleaseContextInput,
  GitSigningTools,
  Logger,
  PackagistTarget,
  ReleaseContext,
  SigningKey,
} from '@phpublish/core';
import type { PluginConfig, SemanticReleaseContext, SemanticReleaseLogger } from './semantic-release-types.js';

/** phpublish's own option groups; semantic-release merges its global options into pluginConfig too. */
const OWN_OPTIONS = ['packagist', 'signing', 'attest', 'report'] as const;

/** What one run of semantic-release has established so far (hooks run in one process, in order). */
export interface PluginState {
  release: ReleaseContext;
  target: PackagistTarget;
  signingKey?: SigningKey;
  tools?: GitSigningTools;
}

let state: PluginState | undefined;

export function currentState(): PluginState | undefined {
  return state;
}

export function setState(next: PluginState | undefined): void {
  state = next;
}

export function ownOptions(pluginConfig: PluginConfig): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const key of OWN_OPTIONS) if (pluginConfig[key] !== undefined) options[key] = pluginConfig[key];
  return options;
}

function adaptLogger(logger: SemanticReleaseLogger): Logger {
  return {
    info: (m) => logger.log(m),
    warn: (m) => (logger.warn ? logger.warn(m) : logger.log(`warning: ${m}`)),
    error: (m) => logger.error(m),
    success: (m) => (logger.success ? logger.success(m) : logger.log(m)),
  };
}

export function releaseContextInput(
  pluginConfig: PluginConfig,
  context: SemanticReleaseContext,
): CreateReleaseContextInput {
  return {
    cwd: context.cwd,
    env: context.env,
    options: ownOptions(pluginConfig),
    logger: adaptLogger(context.logger),
    product: 'phpublish-semantic-release',
  };
}

/** The URL without the credentials semantic-release may have added for pushing. */
export function hostRepositoryUrl(context: SemanticReleaseContext): string | undefined {
  return context.options.originalRepositoryURL ?? context.options.repositoryUrl;
}
