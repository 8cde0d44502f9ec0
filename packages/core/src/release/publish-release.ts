import { PhpublishError } from '../errors/index.js';
import { createSignedTag, pushTag, resolveCommit, verifyTag } from '../git/index.js';
import { loadTrustedKeys, type SigningKey, type TrustedKeys, trustSigningKey } from '../pgp/index.js';
import { buildAndAttest, type ReleaseArtifacts } from './build-and-attest.js';
import type { ReleaseContext } from './context.js';
import { notifyPackagist } from './notify-packagist.js';
import type { PackagistTarget } from './packagist-target.js';
import type { ReleasePosture } from './posture.js';

export interface PublishReleaseInput {
  target: PackagistTarget;
  signingKey?: SigningKey;
  /** The release tag, e.g. `v1.2.3`. */
  tag: string;
  /** The commit to release; when the tag exists it must point here. */
  commit: string;
  /**
   * Create the signed tag when it does not exist and push it to this remote (the CLI). Hosts
   * that tag and push themselves (semantic-release) leave it out: the tag must then exist.
   */
  createAndPushTo?: string;
}

export interface PublishedRelease {
  posture: ReleasePosture;
  artifacts: ReleaseArtifacts;
}

/**
 * The release after preflight, in the order that keeps every step re-runnable: the signed tag
 * (created and pushed, or checked), the reproducible zip and its attestation, then Packagist.
 * Each step skips what an earlier run already did.
 */
export async function publishRelease(context: ReleaseContext, input: PublishReleaseInput): Promise<PublishedRelease> {
  const { target, signingKey, tag, commit } = input;
  const git = { cwd: context.cwd, env: context.env };
  const posture: ReleasePosture = { packageName: target.packageName, version: tag, commit };

  const existing = await resolveCommit(`refs/tags/${tag}`, git);
  if (existing && existing !== commit) {
    throw new PhpublishError('PACKAGIST_VERSION_AT_OTHER_COMMIT', {
      packageName: target.packageName,
      version: tag,
      expected: commit,
      actual: `${existing} (the local tag)`,
    });
  }
  if (!existing && input.createAndPushTo === undefined) throw new PhpublishError('TAG_NOT_FOUND', { tag });
  if (signingKey) {
    if (!existing) {
      await createSignedTag({ ...git, tag, target: commit, message: `Release ${tag}`, key: signingKey });
      context.logger.success(`Created ${tag} as an OpenPGP-signed annotated tag (key ${signingKey.fingerprint}).`);
    }
    const verified = await verifyTag({ ...git, tag, trusted: trustSigningKey(signingKey) });
    posture.signedTag = { signerFingerprint: verified.signer.fingerprint };
  } else {
    if (!existing) throw new PhpublishError('SIGNING_KEY_MISSING');
    // A tag the maintainer signed elsewhere (their own gpg, then `git push`): with trusted keys in
    // the options it must be signed by one of them, or nothing is published.
    const trusted = await optionsTrustedKeys(context.config.signing);
    if (trusted) {
      const verified = await verifyTag({ ...git, tag, trusted });
      context.logger.success(`${tag} is signed by ${verified.signer.fingerprint}, a trusted key.`);
      posture.signedTag = { signerFingerprint: verified.signer.fingerprint };
    } else {
      posture.signedTag = { unsigned: true };
    }
  }
  if (input.createAndPushTo !== undefined) {
    const { pushed } = await pushTag({
      ...git,
      tag,
      remote: input.createAndPushTo,
      timeoutMs: context.config.options.signing.pushTimeout * 1000,
    });
    context.logger.success(`${pushed ? 'Pushed' : 'Already pushed:'} ${tag} to ${input.createAndPushTo}.`);
  }

  const artifacts = await buildAndAttest(context, { target, tag, commit });
  posture.attestation = artifacts.attestation
    ? { stored: artifacts.attestation.stored.map((s) => s.target) }
    : { skipped: 'attestation is off (attest.enabled is false)' };
  posture.packagistCredential = context.config.packagist.mode;
  posture.packagist = await notifyPackagist(context, target, { version: tag, commit });
  return { posture, artifacts };
}

/** `signing.trustedKeys` (pinned to `signing.trustedFingerprints`), or undefined when none are given. */
async function optionsTrustedKeys(signing: {
  trustedKeys: readonly string[];
  trustedFingerprints: readonly string[];
}): Promise<TrustedKeys | undefined> {
  if (signing.trustedKeys.length === 0) return undefined;
  return loadTrustedKeys({
    keys: signing.trustedKeys.map((armored, index) => ({ armored, source: `signing.trustedKeys[${index}]` })),
    fingerprints: signing.trustedFingerprints,
  });
}
