import { fileURLToPath } from 'node:url';
import { gitSigningEnvironment, writeGitSigningTools } from '@phpublish/core';
import { ensureVerified } from './ensure-verified.js';
import { translatingErrors } from './errors.js';
import { setState } from './plugin-state.js';
import type { PluginConfig, SemanticReleaseContext } from './semantic-release-types.js';

/** Variables set for semantic-release's own `git tag`; publish removes them again. */
export const SIGNING_VARIABLES_SET: string[] = [];

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
    const tools =
      state.tools ??
      (await writeGitSigningTools({
        nodePath: process.execPath,
        gpgProgramScript: fileURLToPath(import.meta.resolve('@phpublish/cli/bin/phpublish-gpg')),
      }));
    setState({ ...state, tools });
    const variables = gitSigningEnvironment(process.env, {
      tools,
      fingerprint: state.signingKey.fingerprint,
      message: `Release ${next.gitTag}`,
    });
    // semantic-release runs `git tag` with process.env (context.env is only a copy of it).
    for (const [name, value] of Object.entries(variables)) {
      process.env[name] = value;
      context.env[name] = value;
      SIGNING_VARIABLES_SET.push(name);
    }
    state.release.logger.info(
      `phpublish: ${next.gitTag} will be an OpenPGP-signed tag (key ${state.signingKey.fingerprint}).`,
    );
  });
}

/** Takes the signing configuration out of the environment again. */
export function removeSigningVariables(context: SemanticReleaseContext): void {
  for (const name of SIGNING_VARIABLES_SET.splice(0)) {
    delete process.env[name];
    delete context.env[name];
  }
}
