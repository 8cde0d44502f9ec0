import { isComposerVersion } from '../composer/index.js';
import { PhpublishError as Err, isPhpublishError, type PhpublishError } from '../errors/index.js';
import { findVersion, referenceOf } from '../packagist/index.js';
import { preflightPackagistOidc } from '../packagist/oidc.js';
import { preflightPrivatePackagist } from '../private-packagist/preflight.js';
import { packagistClientFor, type ReleaseContext } from './context.js';
import type { PackagistTarget } from './packagist-target.js';

export interface PackagistPreflightInput {
  target: PackagistTarget;
  /** When known (the tag about to be released), a version Packagist already has at another commit is caught now. */
  release?: { version: string; commit?: string };
}

/**
 * The Packagist part of preflight. No side effects: it only reads p2 metadata. It proves Packagist
 * is reachable, that the package is listed (or may be created), and that the version is not
 * already published at another commit — all before anything irreversible happens.
 */
export async function preflightPackagist(
  context: ReleaseContext,
  input: PackagistPreflightInput,
): Promise<PhpublishError[]> {
  const { mode } = context.config.packagist;
  if (mode === 'off') return [];
  if (context.config.options.packagist.mode === 'private-packagist') {
    return preflightPrivatePackagist(context, input.target.packageName, input.release);
  }
  // OIDC trusted publishing: `required` without an exchange (or a publisher that cannot match) fails before any tag.
  const oidcProblems = await preflightPackagistOidc({ ...context, options: context.config.options.packagist });
  if (oidcProblems.length > 0) return oidcProblems;
  const options = context.config.options.packagist;
  if (input.release && !isComposerVersion(input.release.version)) {
    return [new Err('PACKAGIST_VERSION_INVALID', { tag: input.release.version })];
  }
  const client = packagistClientFor(context);
  const { packageName } = input.target;
  try {
    const result = await client.getVersions(packageName);
    if (result.state === 'not-found') {
      if (mode === 'token' && options.createIfMissing) {
        context.logger.info(`${packageName} is not on Packagist yet; it will be created (packagist.createIfMissing).`);
        return [];
      }
      return [new Err('PACKAGIST_NOT_LISTED', { packageName })];
    }
    if (result.state === 'found' && input.release) {
      const entry = findVersion(result.versions, input.release.version);
      const reference = entry && referenceOf(entry);
      if (entry && input.release.commit && reference !== input.release.commit) {
        return [
          new Err('PACKAGIST_VERSION_AT_OTHER_COMMIT', {
            packageName,
            version: input.release.version,
            expected: input.release.commit,
            actual: reference ?? '(none)',
          }),
        ];
      }
    }
    return [];
  } catch (error) {
    if (isPhpublishError(error)) return [error];
    throw error;
  }
}
