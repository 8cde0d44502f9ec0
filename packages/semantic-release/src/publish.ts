import { publishRelease, type ReleasePosture } from '@phpublish/core';
import { ensureVerified } from './ensure-verified.js';
import { translatingErrors } from './errors.js';
import { removeSigningVariables } from './prepare.js';
import type { PluginConfig, SemanticReleaseContext } from './semantic-release-types.js';

/** Posture of the release this run published, for `success`. */
export let lastPosture: ReleasePosture | undefined;

/**
 * semantic-release has tagged and pushed: check the tag's signature, build and attest the zip,
 * then notify Packagist and confirm.
 */
export async function publish(
  pluginConfig: PluginConfig,
  context: SemanticReleaseContext,
): Promise<{ name: string; url: string } | false> {
  return translatingErrors(async () => {
    removeSigningVariables(context);
    const state = await ensureVerified(pluginConfig, context);
    const next = context.nextRelease;
    if (!next) return false;
    const { release, target, signingKey } = state;
    const { posture } = await publishRelease(release, {
      target,
      ...(signingKey ? { signingKey } : {}),
      tag: next.gitTag,
      commit: next.gitHead,
    });
    lastPosture = posture;
    if (posture.packagist?.notified === 'off') return false;
    const base = release.config.options.packagist.url.replace(/\/+$/, '');
    return { name: 'Packagist', url: `${base}/packages/${target.packageName}#${next.gitTag}` };
  });
}
