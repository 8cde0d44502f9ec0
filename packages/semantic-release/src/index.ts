// semantic-release calls these by name; adapter.ts maps them onto core's release session. It is
// loaded on first call, so that loading the plugin costs almost nothing (core, zod, undici, openpgp
// and sigstore are only loaded when a hook runs).

import { SemanticReleaseError } from './semantic-release-error.js';
import type { PluginConfig, SemanticReleaseContext } from './semantic-release-types.js';

/**
 * The adapter, loaded on the first hook. The Node.js version is checked first: semantic-release 24
 * runs on Node.js 20, where core's dependencies (undici) fail while loading, with a stack trace.
 */
async function adapter() {
  const { unsupportedNodeError } = await import('@phpublish/core/node-version');
  const unsupported = unsupportedNodeError(process.versions.node);
  if (unsupported) throw new SemanticReleaseError(unsupported.message, unsupported.code, unsupported.details);
  return import('./adapter.js');
}

export async function verifyConditions(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  return (await adapter()).verifyConditions(pluginConfig, context);
}

export async function verifyRelease(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  return (await adapter()).verifyRelease(pluginConfig, context);
}

export async function prepare(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  return (await adapter()).prepare(pluginConfig, context);
}

export async function publish(
  pluginConfig: PluginConfig,
  context: SemanticReleaseContext,
): Promise<{ name: string; url: string } | false> {
  return (await adapter()).publish(pluginConfig, context);
}

export async function success(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  return (await adapter()).success(pluginConfig, context);
}

export async function fail(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  return (await adapter()).fail(pluginConfig, context);
}
