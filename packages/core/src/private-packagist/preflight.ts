import { isPhpublishError, PhpublishError } from '../errors/index.js';
import type { ReleaseContext } from '../release/context.js';
import { apiClientFor, privatePackagistSettings, requireGitHubActions } from './settings.js';

/**
 * The Private Packagist part of preflight, with no side effects: the organisation is configured,
 * the run is a GitHub Actions job that may request an OIDC token (`id-token: write`), and the
 * organisation's audience can be read. Whether a trusted publisher matches this workflow is only
 * known at the token exchange, which preflight does not make (it would mint a credential).
 */
export async function preflightPrivatePackagist(context: ReleaseContext): Promise<PhpublishError[]> {
  const problems: PhpublishError[] = [];
  const collect = (check: () => void) => {
    try {
      check();
    } catch (error) {
      if (!isPhpublishError(error)) throw error;
      problems.push(error);
    }
  };
  let settings: ReturnType<typeof privatePackagistSettings> | undefined;
  collect(() => {
    settings = privatePackagistSettings(context);
  });
  let github = false;
  collect(() => {
    requireGitHubActions(context);
    github = true;
  });
  if (
    github &&
    !(context.env['ACTIONS_ID_TOKEN_REQUEST_URL']?.trim() && context.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']?.trim())
  ) {
    problems.push(new PhpublishError('PRIVATE_PACKAGIST_ID_TOKEN_PERMISSION_MISSING'));
  }
  if (settings) {
    try {
      await apiClientFor(context, settings).audience(settings.organization);
    } catch (error) {
      if (!isPhpublishError(error)) throw error;
      problems.push(error);
    }
  }
  if (problems.length === 0) {
    context.logger.info(
      'Private Packagist: organisation, audience and CI identity are ready; whether a trusted publisher matches this workflow is known only at the token exchange.',
    );
  }
  return problems;
}
