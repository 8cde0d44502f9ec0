import { isPhpublishError, PhpublishError } from '../errors/index.js';
import {
  findVersion,
  type PackageVersion,
  referenceOf,
  TRANSIENT_PACKAGIST_ERRORS,
  type VersionsResult,
  waitForVersion,
} from '../packagist/index.js';
import { choosePackagistCredential, oidcCredentialRefusal } from '../packagist/oidc.js';
import { publishToPrivatePackagist } from '../private-packagist/publish.js';
import { packagistClientFor, type ReleaseContext } from './context.js';
import type { PackagistTarget } from './packagist-target.js';

export interface PackagistRelease {
  /** The tag as written, e.g. `v1.2.3`. */
  version: string;
  /** Full sha of the tagged commit. */
  commit: string;
}

export interface PackagistOutcome {
  /** How Packagist was told. */
  notified:
    | 'update-package'
    | 'created-and-updated'
    | 'github-app'
    | 'already-served'
    | 'off'
    /** Private Packagist: the dist zip uploaded as the version's artifact (or as a new artifact package). */
    | 'artifact-uploaded'
    | 'artifact-package-created'
    /** Private Packagist, VCS package: nothing sent; its code-hosting synchronisation picks the tag up. */
    | 'repository-sync';
  jobs: string[];
  /** Whether Packagist was seen serving the version at the commit. */
  confirmation: 'served' | 'timed-out-warned' | 'not-checked';
  entry?: PackageVersion;
  elapsedMs?: number;
  /** What update-package was sent: a short-lived credential from the OIDC exchange, or the long-lived API token. */
  credential?: 'oidc' | 'api-token';
  /** Whether Packagist offered the OIDC token exchange (a long-lived token is then deprecated). */
  oidcOffered?: boolean;
}

/**
 * Tells Packagist about a release and confirms it serves the version at the tagged commit.
 *
 * Resumable: when Packagist already serves the version at the commit (a re-run after a failure
 * further on), it pings nothing and reports `already-served`. The version at another commit is
 * an error before any request that changes anything.
 */
export async function notifyPackagist(
  context: ReleaseContext,
  target: PackagistTarget,
  release: PackagistRelease,
): Promise<PackagistOutcome> {
  const { mode } = context.config.packagist;
  const options = context.config.options.packagist;
  const { logger } = context;
  if (mode === 'off') {
    logger.info('Packagist: skipped (packagist.mode is off).');
    return { notified: 'off', jobs: [], confirmation: 'not-checked' };
  }
  if (options.mode === 'private-packagist') {
    // Trusted publishing of the dist zip as an artifact with a short-lived OIDC credential, or, for a
    // VCS package, the confirmation that Private Packagist's synchronisation picked the tag up.
    return { ...(await publishToPrivatePackagist(context, target, release)), jobs: [] };
  }
  const client = packagistClientFor(context);

  // Resume point: a version already served at the commit needs nothing more. Preflight read the
  // same metadata moments ago, so an outage here is not fatal: notifying twice is harmless.
  let before: VersionsResult | undefined;
  try {
    before = await client.getVersions(target.packageName);
  } catch (error) {
    if (!isPhpublishError(error) || !TRANSIENT_PACKAGIST_ERRORS.has(error.code)) throw error;
    logger.warn(`Packagist metadata could not be read before notifying (${error.message}); notifying anyway.`);
  }
  if (before?.state === 'found') {
    const entry = findVersion(before.versions, release.version);
    if (entry) {
      const reference = referenceOf(entry);
      if (reference !== release.commit) {
        throw new PhpublishError('PACKAGIST_VERSION_AT_OTHER_COMMIT', {
          packageName: target.packageName,
          version: release.version,
          expected: release.commit,
          actual: reference ?? '(none)',
        });
      }
      logger.success(
        `Packagist already serves ${target.packageName} ${release.version} at ${release.commit.slice(0, 12)}; nothing to send.`,
      );
      return { notified: 'already-served', jobs: [], confirmation: 'served', entry };
    }
  }

  const choice = await choosePackagistCredential({
    ...context,
    options,
    packageName: target.packageName,
    tokenCredentials: context.config.packagist.credentials,
  });
  const credential: PackagistOutcome['credential'] =
    choice.kind === 'oidc' ? 'oidc' : mode === 'token' ? 'api-token' : undefined;
  const how = { ...(credential ? { credential } : {}), oidcOffered: choice.oidcOffered };
  // With a short-lived credential, a client that does not even know the long-lived token.
  const updater =
    choice.kind === 'oidc'
      ? packagistClientFor({
          ...context,
          config: { ...context.config, packagist: { ...context.config.packagist, credentials: choice.credentials } },
        })
      : client;
  let notified: PackagistOutcome['notified'];
  let jobs: string[] = [];
  if (credential) {
    try {
      jobs = (await updater.updatePackage(target.repositoryUrl)).jobs;
      notified = 'update-package';
    } catch (error) {
      if (choice.kind === 'oidc') throw oidcCredentialRefusal(error);
      if (
        !(
          isPhpublishError(error, 'PACKAGIST_PACKAGE_NOT_FOUND') &&
          options.createIfMissing &&
          before?.state !== 'found'
        )
      ) {
        throw error;
      }
      logger.info(
        `Packagist: creating ${target.packageName} from ${target.repositoryUrl} (packagist.createIfMissing).`,
      );
      const { created } = await client.createPackage(target.repositoryUrl);
      if (created) logger.success(`Packagist: created ${target.packageName}.`);
      // Creating does not crawl: ask for an update straight away, which gives us a job to watch.
      jobs = (await client.updatePackage(target.repositoryUrl)).jobs;
      notified = 'created-and-updated';
    }
    logger.success(
      `Packagist: update requested for ${target.repositoryUrl}${jobs.length ? ` (job ${jobs.map((j) => j.slice(0, 8)).join(', ')})` : ''}.`,
    );
  } else {
    notified = 'github-app';
    logger.info(
      'Packagist: no token, so no update request; waiting for the Packagist GitHub App or webhook to pick up the tag.',
    );
  }

  if (!options.confirm.enabled) return { notified, jobs, confirmation: 'not-checked', ...how };
  logger.info(
    `Packagist: waiting until ${target.packageName} ${release.version} is served at ${release.commit.slice(0, 12)}…`,
  );
  try {
    const served = await waitForVersion({
      client,
      clock: context.clock,
      logger,
      packageName: target.packageName,
      version: release.version,
      commit: release.commit,
      jobIds: jobs,
      timeoutMs: options.confirm.timeout * 1000,
    });
    logger.success(
      `Packagist serves ${target.packageName} ${release.version} at ${release.commit.slice(0, 12)} (after ${Math.round(served.elapsedMs / 100) / 10} s).`,
    );
    return { notified, jobs, confirmation: 'served', entry: served.entry, elapsedMs: served.elapsedMs, ...how };
  } catch (error) {
    if (isPhpublishError(error, 'PACKAGIST_CONFIRM_TIMEOUT') && options.confirm.onTimeout === 'warn') {
      logger.warn(error.format());
      return { notified, jobs, confirmation: 'timed-out-warned', ...how };
    }
    throw error;
  }
}
