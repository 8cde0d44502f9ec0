import { currentState, setState } from './plugin-state.js';
import { removeSigningVariables } from './prepare.js';
import type { PluginConfig, SemanticReleaseContext } from './semantic-release-types.js';

/** Cleans up and says how a re-run continues. */
export async function fail(_pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  removeSigningVariables(context);
  const state = currentState();
  await state?.tools?.remove();
  if (state) setState({ ...state, tools: undefined });
  if (context.nextRelease) {
    context.logger.log(
      `phpublish: the release of ${context.nextRelease.gitTag} did not finish. Run the release again: phpublish finishes a tagged release that Packagist does not serve yet, without tagging or publishing anything twice.`,
    );
  }
}
