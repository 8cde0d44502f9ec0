import { PhpublishError } from '../errors/index.js';
import { quoteReference, referenceOf } from '../packagist/confirm.js';
import type { PackageVersion } from '../packagist/minified.js';
import { findVersion, isCommitId } from '../packagist/version.js';
import type { VerifyTarget } from './lock.js';
import type { VerifySession } from './session.js';

/** What would be installed, as far as the chain is concerned. */
export interface ReleaseFacts {
  packageName: string;
  /** The version as written: Packagist's `version`, which is the tag as written (`v1.2.0`). */
  version: string;
  commit: string;
  sourceUrl?: string;
  sourceType?: string;
  distUrl?: string;
  distType?: string;
}

export const isDevVersion = (version: string) => /^dev-|[.-]dev$/i.test(version);

/** A stable release: no `-beta`, `-RC`… (p2 lists the newest first). */
const isStable = (entry: PackageVersion) =>
  !isDevVersion(entry.version) && !/-/.test(entry.version_normalized ?? entry.version.replace(/^v/i, ''));

/**
 * Finds the version in Packagist's p2 metadata (whose every field read has been type-checked by
 * the client): the one asked for (or locked), else the newest stable one. With composer.lock,
 * the locked commit and URLs are what would be installed, so they win; Packagist serving the
 * version at another commit, or at something that is not a commit id (HEAD, a branch), is a
 * failure of this check, and the other checks go on with the locked commit.
 */
export async function resolveRelease(
  target: VerifyTarget,
  session: VerifySession,
): Promise<{ facts: ReleaseFacts; detail: string; problem?: PhpublishError }> {
  const packageName = target.packageName;
  const locked = target.locked;
  if (target.version !== undefined && isDevVersion(target.version)) {
    throw new PhpublishError('VERIFY_DEV_VERSION', { packageName, version: target.version });
  }
  const url = `${session.endpoints.packagistUrl.replace(/\/+$/, '')}/p2/${packageName}.json`;
  const result = await session.metadata(packageName);
  if (result.state !== 'found' || result.versions.length === 0) {
    throw new PhpublishError('VERIFY_PACKAGE_NOT_FOUND', { packageName, url });
  }
  const { versions } = result;
  const entry =
    target.version === undefined
      ? (versions.find(isStable) ?? versions.find((v) => !isDevVersion(v.version)))
      : findVersion(versions, target.version);
  if (!entry) {
    throw new PhpublishError('VERIFY_VERSION_NOT_LISTED', {
      packageName,
      version: target.version ?? '(a stable release)',
      known: versions.map((v) => v.version).filter((v) => !isDevVersion(v)),
    });
  }
  const served = referenceOf(entry);
  const notACommit =
    served !== undefined && !isCommitId(served)
      ? new PhpublishError('PACKAGIST_REFERENCE_NOT_COMMIT', {
          packageName,
          version: entry.version,
          reference: quoteReference(served),
        })
      : undefined;
  if (notACommit && !locked?.reference) throw notACommit;
  const commit = locked?.reference ?? served;
  if (!commit) {
    throw new PhpublishError('VERIFY_SOURCE_MISSING', {
      packageName,
      version: entry.version,
      problem: 'the metadata names no commit (no source or dist reference)',
    });
  }
  const pick = (lockValue: string | undefined, servedValue: unknown) =>
    lockValue ?? (typeof servedValue === 'string' && servedValue !== '' ? servedValue : undefined);
  const sourceUrl = pick(locked?.sourceUrl, entry.source?.url);
  const sourceType = pick(locked?.sourceType, entry.source?.type);
  const distUrl = pick(locked?.distUrl, entry.dist?.url);
  const distType = pick(locked?.distType, entry.dist?.type);
  const facts: ReleaseFacts = {
    packageName,
    version: locked?.version ?? entry.version,
    commit,
    ...(sourceUrl ? { sourceUrl } : {}),
    ...(sourceType ? { sourceType } : {}),
    ...(distUrl ? { distUrl } : {}),
    ...(distType ? { distType } : {}),
  };
  if (notACommit) return { facts, detail: '', problem: notACommit };
  if (served && served !== commit) {
    return {
      facts,
      detail: '',
      problem: new PhpublishError('VERIFY_REFERENCE_MISMATCH', {
        packageName,
        version: facts.version,
        locked: commit,
        served,
      }),
    };
  }
  return { facts, detail: `${entry.version} served at ${commit.slice(0, 12)}${locked ? ', as locked' : ''}` };
}
