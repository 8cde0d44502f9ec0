import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildArchive } from '../archive/index.js';
import { obtainIdentityToken } from '../attest/id-token.js';
import { releaseFileNames } from '../attest/subjects.js';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { findVersion, type PackageVersion, TRANSIENT_PACKAGIST_ERRORS, waitForVersion } from '../packagist/index.js';
import type { ReleaseContext } from '../release/context.js';
import {
  apiClientFor,
  httpDepsFor,
  listedVersions,
  otherCommitProblem,
  type PrivatePackagistSettings,
  packageTypeOf,
  privatePackagistSettings,
  repositoryClientFor,
  requireGitHubActions,
  workflowOfClaims,
} from './settings.js';

export interface PrivatePackagistOutcome {
  /**
   * What was sent: an artifact for an existing package, a new artifact package, nothing because a VCS
   * package is updated by Private Packagist's synchronisation, or nothing because it is already served.
   */
  notified: 'artifact-uploaded' | 'artifact-package-created' | 'repository-sync' | 'already-served';
  confirmation: 'served' | 'timed-out-warned' | 'not-checked';
  entry?: PackageVersion;
  elapsedMs?: number;
  /** Set when a credential was used: the short-lived one from the OIDC exchange. */
  credential?: 'oidc';
}

interface ReleaseZip {
  fileName: string;
  bytes: Buffer;
  /** What Composer metadata's `dist.shasum` says of a zip. */
  sha1: string;
}

/**
 * The release's reproducible dist zip, built again from the tagged commit: byte for byte the zip
 * that was attested (the archive is reproducible), also on a re-run that starts here.
 */
async function buildReleaseZip(context: ReleaseContext, packageName: string, tag: string, commit: string) {
  const fileName = releaseFileNames(packageName, tag.replace(/^v(?=\d)/i, '')).zip;
  const dir = await mkdtemp(join(tmpdir(), 'phpublish-artifact-'));
  try {
    const outFile = join(dir, fileName);
    await buildArchive({ cwd: context.cwd, env: context.env, ref: commit, outFile });
    const bytes = await readFile(outFile);
    return { fileName, bytes, sha1: createHash('sha1').update(bytes).digest('hex') } satisfies ReleaseZip;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The version's entry when the repository lists it, and whether its `dist.shasum` proved it is this
 * zip (a repository may leave the shasum empty); an error when it names another zip.
 */
function servedEntry(versions: PackageVersion[], packageName: string, tag: string, zip: ReleaseZip) {
  const entry = findVersion(versions, tag);
  if (!entry) return undefined;
  const shasum = entry.dist?.shasum ?? '';
  if (shasum === '') return { entry, proven: false };
  if (shasum !== zip.sha1) {
    throw new PhpublishError('PRIVATE_PACKAGIST_ARTIFACT_MISMATCH', {
      packageName,
      version: tag,
      expected: zip.sha1,
      actual: shasum,
    });
  }
  return { entry, proven: true };
}

const unproven = (packageName: string, tag: string) =>
  `Private Packagist lists ${packageName} ${tag} without a shasum, so phpublish cannot tell that it serves the released zip.`;

/**
 * Publishes a release on Private Packagist with trusted publishing: the organisation's OIDC audience,
 * a GitHub Actions ID token for it, the token exchanged for a 15-minute credential for this package
 * only, the dist zip uploaded as the version's artifact (creating the artifact package on the first
 * release), then the Composer repository read until it serves that very zip. No stored secret is
 * involved; the token, key, secret and signatures are registered with the redactor as they appear.
 */
export async function publishToPrivatePackagist(
  context: ReleaseContext,
  target: { packageName: string },
  release: { version: string; commit: string },
): Promise<PrivatePackagistOutcome> {
  const { logger } = context;
  const settings = privatePackagistSettings(context);
  const before = await listedVersions(context, settings, target.packageName);
  if (packageTypeOf(settings, before) === 'vcs') {
    return confirmVcsRelease(context, settings, target.packageName, release, before);
  }
  requireGitHubActions(context);
  const zip = await buildReleaseZip(context, target.packageName, release.version, release.commit);

  // Resume point: the version already served with this zip needs nothing more.
  const already = before && servedEntry(before, target.packageName, release.version, zip);
  if (already) {
    // A version is published once: even unproven, sending it again could only be refused.
    if (!already.proven) logger.warn(`${unproven(target.packageName, release.version)} Nothing sent.`);
    else
      logger.success(
        `Private Packagist already serves ${target.packageName} ${release.version} (this zip); nothing to send.`,
      );
    return {
      notified: 'already-served',
      confirmation: already.proven ? 'served' : 'not-checked',
      entry: already.entry,
    };
  }

  const api = apiClientFor(context, settings);
  const audience = await api.audience(settings.organization);
  let identity: Awaited<ReturnType<typeof obtainIdentityToken>>;
  try {
    identity = await obtainIdentityToken({
      platform: 'github-actions',
      env: context.env,
      tokenVariable: '',
      http: httpDepsFor(context),
      redactor: context.redactor,
      audience,
    });
  } catch (error) {
    if (isPhpublishError(error, 'ATTEST_ID_TOKEN_PERMISSION_MISSING')) {
      throw new PhpublishError('PRIVATE_PACKAGIST_ID_TOKEN_PERMISSION_MISSING', undefined, { cause: error });
    }
    throw error;
  }
  const credential = await api.exchange({
    organization: settings.organization,
    packageName: target.packageName,
    oidcToken: identity.token,
    audience,
    workflow: workflowOfClaims(identity.claims),
  });
  logger.info(
    `Private Packagist: short-lived credential obtained for ${target.packageName} from ${workflowOfClaims(identity.claims)} (no stored secret).`,
  );
  const published = await api.publishArtifact(credential, {
    packageName: target.packageName,
    fileName: zip.fileName,
    zip: zip.bytes,
  });
  const notified = published === 'package-created' ? 'artifact-package-created' : 'artifact-uploaded';
  logger.success(
    `Private Packagist: ${zip.fileName} published as ${target.packageName} ${release.version}${published === 'package-created' ? ' (artifact package created)' : ''}.`,
  );
  return {
    notified,
    credential: 'oidc',
    ...(await confirmServed(context, settings, target.packageName, release.version, zip)),
  };
}

/**
 * A VCS package: Private Packagist reads it from its repository when the code host notifies it of a
 * push (the webhook its synchronisation installs), and trusted publishing does not apply to it. So
 * nothing is sent and no credential is used; the release is confirmed when the organisation's
 * repository lists the version at the tagged commit.
 */
async function confirmVcsRelease(
  context: ReleaseContext,
  settings: PrivatePackagistSettings,
  packageName: string,
  release: { version: string; commit: string },
  before: PackageVersion[] | undefined,
): Promise<PrivatePackagistOutcome> {
  const { logger, clock } = context;
  const listed = before && findVersion(before, release.version);
  if (listed) {
    const moved = otherCommitProblem(listed, packageName, release);
    if (moved) throw moved;
    logger.success(
      `Private Packagist already serves ${packageName} ${release.version} at ${release.commit.slice(0, 12)}; nothing to send.`,
    );
    return { notified: 'already-served', confirmation: 'served', entry: listed };
  }
  logger.info(
    `Private Packagist: ${packageName} is a VCS package; Private Packagist picks the pushed tag up from the repository (nothing is sent, no credential is used).`,
  );
  const { confirm } = context.config.options.packagist;
  if (!confirm.enabled) return { notified: 'repository-sync', confirmation: 'not-checked' };
  try {
    const served = await waitForVersion({
      client: repositoryClientFor(context, settings),
      clock,
      logger,
      packageName,
      version: release.version,
      commit: release.commit,
      timeoutMs: confirm.timeout * 1000,
      timeoutError: (timeout) => new PhpublishError('PRIVATE_PACKAGIST_VCS_NOT_SYNCED', timeout),
    });
    logger.success(
      `Private Packagist serves ${packageName} ${release.version} at the tagged commit ${release.commit.slice(0, 12)}.`,
    );
    return { notified: 'repository-sync', confirmation: 'served', entry: served.entry, elapsedMs: served.elapsedMs };
  } catch (error) {
    if (isPhpublishError(error, 'PACKAGIST_ACCESS_DENIED')) {
      logger.warn(
        `Private Packagist: not confirmed, ${settings.repositoryUrl} needs authentication (set packagist.privatePackagist.repositoryUrl to a readable mirror, or packagist.confirm.enabled: false).`,
      );
      return { notified: 'repository-sync', confirmation: 'not-checked' };
    }
    if (!isPhpublishError(error, 'PRIVATE_PACKAGIST_VCS_NOT_SYNCED') || confirm.onTimeout !== 'warn') throw error;
    logger.warn(error.format());
    return { notified: 'repository-sync', confirmation: 'timed-out-warned' };
  }
}

/**
 * Whether the organisation's Composer repository lists a version (for resuming an unfinished
 * release): `unknown` when it cannot be read, e.g. because it asks for credentials. Never asks
 * packagist.org about a private package.
 */
export async function privatePackagistListing(
  context: ReleaseContext,
  packageName: string,
  tag: string,
): Promise<'listed' | 'not-listed' | 'unknown'> {
  let settings: PrivatePackagistSettings;
  try {
    settings = privatePackagistSettings(context);
  } catch {
    return 'unknown';
  }
  try {
    const result = await repositoryClientFor(context, settings).getVersions(packageName);
    if (result.state === 'not-modified') return 'unknown';
    return result.state === 'found' && findVersion(result.versions, tag) ? 'listed' : 'not-listed';
  } catch (error) {
    if (isPhpublishError(error)) return 'unknown';
    throw error;
  }
}

/** Polls the Composer repository until it lists the version with this zip, like the Packagist confirmation. */
async function confirmServed(
  context: ReleaseContext,
  settings: PrivatePackagistSettings,
  packageName: string,
  tag: string,
  zip: ReleaseZip,
): Promise<Omit<PrivatePackagistOutcome, 'notified'>> {
  const { confirm } = context.config.options.packagist;
  const { clock, logger } = context;
  if (!confirm.enabled) return { confirmation: 'not-checked' };
  const client = repositoryClientFor(context, settings);
  const started = clock.now();
  const deadline = started + confirm.timeout * 1000;
  let delay = 100;
  let lastSeen = 'the version is not listed yet';
  for (;;) {
    try {
      const result = await client.getVersions(packageName);
      if (result.state === 'found') {
        const served = servedEntry(result.versions, packageName, tag, zip);
        if (served && !served.proven) {
          logger.warn(unproven(packageName, tag));
          return { confirmation: 'not-checked', entry: served.entry };
        }
        if (served) {
          const { entry } = served;
          const elapsedMs = clock.now() - started;
          logger.success(
            `Private Packagist serves ${packageName} ${tag} with the released zip (sha1 ${zip.sha1.slice(0, 12)}).`,
          );
          return { confirmation: 'served', entry, elapsedMs };
        }
      }
    } catch (error) {
      if (isPhpublishError(error, 'PACKAGIST_ACCESS_DENIED')) {
        // repo.packagist.com asks Composer for credentials; the publishing credential is not one.
        logger.warn(
          `Private Packagist: not confirmed, ${settings.repositoryUrl} needs authentication (set packagist.privatePackagist.repositoryUrl to a readable mirror, or packagist.confirm.enabled: false).`,
        );
        return { confirmation: 'not-checked' };
      }
      if (!(isPhpublishError(error) && TRANSIENT_PACKAGIST_ERRORS.has(error.code))) throw error;
      lastSeen = `the repository is not answering: ${error.message}`;
    }
    if (clock.now() >= deadline) {
      const timeout = new PhpublishError('PACKAGIST_CONFIRM_TIMEOUT', {
        packageName,
        version: tag,
        seconds: confirm.timeout,
        lastSeen,
      });
      if (confirm.onTimeout !== 'warn') throw timeout;
      logger.warn(timeout.format());
      return { confirmation: 'timed-out-warned' };
    }
    await clock.sleep(Math.min(delay, Math.max(0, deadline - clock.now())));
    delay = Math.min(10_000, Math.round(delay * 1.5));
  }
}
