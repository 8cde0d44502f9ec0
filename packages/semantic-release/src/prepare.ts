import { gitSigningEnvironment, type RestoreVariables, setVariables, writeGitSigningTools } from '@phpublish/core';
import { ensureVerified } from './ensure-verified.js';
import { translatingErrors } from './errors.js';
import { setState } from './plugin-state.js';
import type { PluginConfig, SemanticReleaseContext } from './semantic-release-types.js';

/** Puts back what prepare changed in the environment of semantic-release's own `git tag`. */
const restores: RestoreVariables[] = [];

/**
 * Makes semantic-release's unchanged `git tag <name> <sha>` create an OpenPGP-signed annotated tag:
 * git reads process-scoped configuration from the environment (gpg.program → phpublish-gpg, the
 * key's fingerprint, an editor that writes the message). Nothing is written to any git config.
 */
export async function prepare(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  await translatingErrors(async () => {
    const state = await ensureVerified(pluginConfig, context);
    const next = context.nextRelease;
    if (!state.signingKey || !next) return;
    const tools = state.tools ?? (await writeGitSigningTools());
    setState({ ...state, tools });
    const variables = gitSigningEnvironment(process.env, {
      tools,
      fingerprint: state.signingKey.fingerprint,
      message: `Release ${next.gitTag}`,
    });
    // semantic-release runs `git tag` with process.env (context.env is only a copy of it).
    restores.push(setVariables(process.env, variables), setVariables(context.env, variables));
    state.release.logger.info(
      `phpublish: ${next.gitTag} will be an OpenPGP-signed tag (key ${state.signingKey.fingerprint}).`,
    );
  });
}

/** Puts the environment back as it was before prepare (values and absence alike). */
export function removeSigningVariables(_context: SemanticReleaseContext): void {
  for (const restore of restores.splice(0)) restore();
}
