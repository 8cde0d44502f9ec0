import { currentState, type PluginState } from './plugin-state.js';
import type { PluginConfig, SemanticReleaseContext } from './semantic-release-types.js';
import { verifyConditions } from './verify-conditions.js';

/** Later hooks verify first when verifyConditions did not run in this process (as semantic-release's own plugins do). */
export async function ensureVerified(
  pluginConfig: PluginConfig,
  context: SemanticReleaseContext,
): Promise<PluginState> {
  if (!currentState()) await verifyConditions(pluginConfig, context);
  const state = currentState();
  if (!state) throw new Error('phpublish: verifyConditions did not complete');
  return state;
}
