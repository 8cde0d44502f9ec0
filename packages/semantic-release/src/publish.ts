import { buildAndAttest, notifyPackagist, type ReleasePosture, trustSigningKey, verifyTag } from '@phpublish/core';
import { ensureVerified } from './ensure-verified.js';
import { translatingErrors } from './errors.js';
import { setState } from './plugin-state.js';
import { removeSigningVariables } from './prepare.js';
import type { PluginConfig, SemanticReleaseContext } from './semantic-release-types.js';

/** Posture of the release this run published, for `success`. */
export let lastPosture: ReleasePosture | undefined;

/** The tag exists and is pushed: check its signature, then notify Packagist and confirm. */
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
    const posture: ReleasePosture = { packageName: target.packageName, version: next.gitTag, commit: next.gitHead };
    if (signingKey) {
      // The tag is already pushed; a tag that is not signed by our key must not be reported as protected.
      const verified = await verifyTag({
        cwd: release.cwd,
        env: release.env,
        tag: next.gitTag,
        trusted: trustSigningKey(signingKey),
      });
      posture.signedTag = { signerFingerprint: verified.signer.fingerprint };
      release.logger.success(`phpublish: ${next.gitTag} is signed by ${verified.signer.fingerprint}.`);
    } else {
      posture.signedTag = { unsigned: true };
    }
    // The artifacts: the reproducible zip and, with attestation on, its signed provenance.
    const artifacts = await buildAndAttest(release, { target, tag: next.gitTag, commit: next.gitHead });
    posture.attestation = artifacts.attestation
      ? { stored: artifacts.attestation.stored.map((s) => s.target) }
      : { skipped: 'attestation is off (attest.enabled is false)' };
    posture.packagistCredential = release.config.packagist.mode;
    lastPosture = posture;
    posture.packagist = await notifyPackagist(release, target, { version: next.gitTag, commit: next.gitHead });
    setState(state);
    if (posture.packagist.notified === 'off') return false;
    const base = release.config.options.packagist.url.replace(/\/+$/, '');
    return { name: 'Packagist', url: `${base}/packages/${target.packageName}#${next.gitTag}` };
  });
}
