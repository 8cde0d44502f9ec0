import { PhpublishAggregateError, preflightPackagist } from '@phpublish/core';
import { ensureVerified } from './ensure-verified.js';
import { translatingErrors } from './errors.js';
import type { PluginConfig, SemanticReleaseContext } from './semantic-release-types.js';

/** Checks the version about to be released (also in dry runs), before the tag exists. */
export async function verifyRelease(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  await translatingErrors(async () => {
    const state = await ensureVerified(pluginConfig, context);
    const next = context.nextRelease;
    if (!next) return;
    const problems = await preflightPackagist(state.release, {
      target: state.target,
      release: { version: next.gitTag, commit: next.gitHead },
    });
    if (problems.length > 0) throw new PhpublishAggregateError(problems);
    if (context.options.dryRun) {
      const { logger, config } = state.release;
      logger.info(
        `phpublish (dry run): would make ${next.gitTag} ${state.signingKey ? `an OpenPGP-signed tag (key ${state.signingKey.fingerprint})` : 'an unsigned tag'}, then ${
          config.packagist.mode === 'token'
            ? 'call Packagist update-package'
            : config.packagist.mode === 'github-app'
              ? 'rely on the Packagist GitHub App'
              : 'skip Packagist'
        }${config.packagist.mode !== 'off' && config.options.packagist.confirm.enabled ? ` and wait until Packagist serves it at ${next.gitHead.slice(0, 12)}` : ''}.`,
      );
    }
  });
}
