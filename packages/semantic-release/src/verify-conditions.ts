import { createContextAndPreflight, findUnfinishedRelease, notifyPackagist } from '@phpublish/core';
import { translatingErrors } from './errors.js';
import { hostRepositoryUrl, releaseContextInput, setState } from './plugin-state.js';
import type { PluginConfig, SemanticReleaseContext } from './semantic-release-types.js';

/**
 * Every check before anything happens (all problems at once). Also finishes a release that a
 * previous run tagged and pushed but did not publish: semantic-release will not offer that version
 * again.
 */
export async function verifyConditions(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  await translatingErrors(async () => {
    const {
      context: release,
      target,
      signingKey,
    } = await createContextAndPreflight(releaseContextInput(pluginConfig, context), {
      hostRepositoryUrl: hostRepositoryUrl(context),
    });
    setState({ release, target, ...(signingKey ? { signingKey } : {}) });
    const { logger, config } = release;
    logger.success(
      `phpublish: ${target.packageName} from ${target.repositoryUrl}; tags ${signingKey ? `signed with key ${signingKey.fingerprint}` : 'not signed (no PHPUBLISH_GPG_PRIVATE_KEY)'}; Packagist mode ${config.packagist.mode}.`,
    );
    const unfinished = await findUnfinishedRelease(release, { target, ...(signingKey ? { signingKey } : {}) });
    if (!unfinished) return;
    if (context.options.dryRun) {
      logger.info(
        `phpublish: would finish ${unfinished.tag}, which a previous run tagged but Packagist does not serve.`,
      );
      return;
    }
    logger.info(`phpublish: finishing ${unfinished.tag}, which a previous run tagged but did not publish.`);
    await notifyPackagist(release, target, { version: unfinished.tag, commit: unfinished.commit });
  });
}
