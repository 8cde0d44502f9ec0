import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { findVersion } from '../packagist/index.js';
import type { ReleaseContext } from '../release/context.js';
import {
  apiClientFor,
  listedVersions,
  otherCommitProblem,
  packageTypeOf,
  privatePackagistSettings,
  requireGitHubActions,
} from './settings.js';

/**
 * The Private Packagist part of preflight, with no side effects. For an artifact package: the
 * organisation is configured, the run is a GitHub Actions job that may request an OIDC token
 * (`id-token: write`), and the organisation's audience can be read; whether a trusted publisher
 * matches this workflow is only known at the token exchange, which preflight does not make (it would
 * mint a credential). For a VCS package (nothing is sent, any CI): a version already listed at
 * another commit is caught now.
 */
export async function preflightPrivatePackagist(
  context: ReleaseContext,
  packageName: string,
  release?: { version: string; commit?: string },
): Promise<PhpublishError[]> {
  let settings: ReturnType<typeof privatePackagistSettings>;
  try {
    settings = privatePackagistSettings(context);
  } catch (error) {
    if (!isPhpublishError(error)) throw error;
    return [error];
  }
  const versions = await listedVersions(context, settings, packageName);
  if (packageTypeOf(settings, versions) === 'vcs') {
    const commit = release?.commit;
    const listed = release && commit && versions && findVersion(versions, release.version);
    const moved = listed && otherCommitProblem(listed, packageName, { version: release.version, commit });
    if (moved) return [moved];
    context.logger.info(
      `Private Packagist: ${packageName} is a VCS package; Private Packagist picks the tag up from the repository, so no credential is needed.`,
    );
    return [];
  }

  const problems: PhpublishError[] = [];
  let github = false;
  try {
    requireGitHubActions(context);
    github = true;
  } catch (error) {
    if (!isPhpublishError(error)) throw error;
    problems.push(error);
  }
  if (
    github &&
    !(context.env['ACTIONS_ID_TOKEN_REQUEST_URL']?.trim() && context.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']?.trim())
  ) {
    problems.push(new PhpublishError('PRIVATE_PACKAGIST_ID_TOKEN_PERMISSION_MISSING'));
  }
  try {
    await apiClientFor(context, settings).audience(settings.organization);
  } catch (error) {
    if (!isPhpublishError(error)) throw error;
    problems.push(error);
  }
  if (problems.length === 0) {
    context.logger.info(
      'Private Packagist: organisation, audience and CI identity are ready; whether a trusted publisher matches this workflow is known only at the token exchange.',
    );
  }
  return problems;
}
