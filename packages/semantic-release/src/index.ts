// semantic-release calls these by name; each step lives in its own file. They are loaded on first
// call, so that loading the plugin costs almost nothing (core, zod, undici, openpgp and sigstore
// are only loaded when a step runs).
import type { PluginConfig, SemanticReleaseContext } from './semantic-release-types.js';

export async function verifyConditions(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  return (await import('./verify-conditions.js')).verifyConditions(pluginConfig, context);
}

export async function verifyRelease(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  return (await import('./verify-release.js')).verifyRelease(pluginConfig, context);
}

export async function prepare(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  return (await import('./prepare.js')).prepare(pluginConfig, context);
}

export async function publish(
  pluginConfig: PluginConfig,
  context: SemanticReleaseContext,
): Promise<{ name: string; url: string } | false> {
  return (await import('./publish.js')).publish(pluginConfig, context);
}

export async function success(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  return (await import('./success.js')).success(pluginConfig, context);
}

export async function fail(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  return (await import('./fail.js')).fail(pluginConfig, context);
}
