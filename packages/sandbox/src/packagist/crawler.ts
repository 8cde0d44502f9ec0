import type { GitReader, GitRef } from '../git/git-reader.js';
import { CrawlLog } from './crawl-log.js';
import { archiveFolderName, type DistArchives } from './dist-archives.js';
import type { JobResult } from './jobs.js';
import type { SandboxPackage, StoredVersion } from './packages.js';
import { gitHubRepositoryUrl } from './repository-url.js';
import { phpVersionCompare } from './version-compare.js';
import { versionFieldsFrom } from './version-fields.js';
import { normalizeBranch, normalizeVersion, tryNormalizeVersion } from './version-parser.js';

export interface CrawlEnvironment {
  /** The sandbox's own URL, for dist URLs. */
  readonly baseUrl: string;
  readonly now: () => number;
  readonly dists: DistArchives;
  /** The local git directory standing in for a repository URL, if any. */
  readonly readerFor: (repositoryUrl: string) => GitReader | undefined;
}

type Json = Record<string, unknown>;

/** One tag or branch that Composer's VcsRepository turned into a package version. */
interface Candidate {
  /** The tag or branch name as in the repository. */
  readonly ref: GitRef;
  readonly prettyVersion: string;
  readonly normalizedVersion: string;
  readonly development: boolean;
  readonly defaultBranch: boolean;
  readonly composer: Json;
  readonly releasedAt: number | undefined;
}

class ComposerJsonError extends Error {}

const DAY_MS = 86_400_000;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isEmptyValue = (value: unknown) =>
  value === undefined || value === null || value === '' || value === 0 || value === false || value === '0';

/**
 * VcsDriver::getComposerInformation: undefined when the commit has no (or an empty) composer.json, an error
 * when it is not JSON, and a `time` from the commit when composer.json has none.
 */
async function composerInformation(reader: GitReader, commit: string): Promise<Json | undefined> {
  const text = await reader.fileAt(commit, 'composer.json');
  if (!text) return undefined;
  let composer: unknown;
  try {
    composer = JSON.parse(text);
  } catch (error) {
    throw new ComposerJsonError(`"${commit}:composer.json" does not contain valid JSON\n${(error as Error).message}`);
  }
  if (!isObject(composer) || Object.keys(composer).length === 0) return undefined;
  if (isEmptyValue(composer['time'])) {
    // GitHub's driver dates a version by its commit's committer date, in RFC 3339.
    composer['time'] = new Date((await reader.commitTime(commit)) * 1000).toISOString().replace('.000Z', '+00:00');
  }
  return composer;
}

/** ArrayLoader's reading of `time`: digits are a Unix timestamp, a date without zone is UTC; else ignored. */
function parseReleaseTime(time: unknown): number | undefined {
  if (typeof time !== 'string' || time === '') return undefined;
  if (/^\d+$/.test(time)) return Number.parseInt(time, 10) * 1000;
  const zoneless = /^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$/.test(time);
  const parsed = Date.parse(zoneless ? `${time.replace(' ', 'T')}${time.length > 10 ? '' : 'T00:00:00'}Z` : time);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** Packagist skips branches that are short-lived or never meant to be installed. */
function isIgnoredBranchVersion(prettyVersion: string): boolean {
  return (
    /^dev-(gh-readonly-queue\/|renovate\/|dependabot\/|conductor-|merge-up\/).+/.test(prettyVersion) ||
    ['dev-gh-pages', 'dev-release-please--branches--main', 'dev-gitattributes'].includes(prettyVersion)
  );
}

/** Updater::update's order: tags before branches, then by version, equal versions by date. */
function compareCandidates(a: Candidate, b: Candidate): number {
  const simplify = (version: string) => (version === '9999999-dev' || version.startsWith('dev-') ? 'dev' : version);
  const versionA = simplify(a.normalizedVersion);
  const versionB = simplify(b.normalizedVersion);
  const aIsDev = versionA === 'dev' || versionA.endsWith('-dev');
  const bIsDev = versionB === 'dev' || versionB.endsWith('-dev');
  if (aIsDev !== bIsDev) return aIsDev ? 1 : -1;
  if (versionA === versionB) return (a.releasedAt ?? 0) > (b.releasedAt ?? 0) ? 1 : -1;
  return phpVersionCompare(versionA, versionB);
}

/**
 * One package update, as Packagist's UpdaterWorker runs it: Composer's VcsRepository reads every tag and
 * branch of the repository, then the Updater stores new versions, refuses to change the reference of a
 * known non-dev version, rebuilds dev versions whose branch moved and soft-deletes versions whose tag or
 * branch is gone.
 */
export async function crawlPackage(pkg: SandboxPackage, env: CrawlEnvironment): Promise<JobResult> {
  const log = new CrawlLog();
  const finished = (status: JobResult['status'], message: string, extra: Partial<JobResult> = {}): JobResult => ({
    status,
    message,
    details: log.toDetails(),
    vendor: pkg.vendor,
    ...extra,
  });

  // Frozen packages are left alone, and the job still completes.
  if (pkg.frozen) return finished('completed', `Update of ${pkg.name} complete`);

  const reader = env.readerFor(pkg.repository);
  if (!reader || !(await reader.exists())) {
    log.error(`Failed to execute git clone --mirror -- '${pkg.repository}': remote: Repository not found.`);
    pkg.frozen = 'gone';
    return finished(
      'package_gone',
      `Update of ${pkg.name} failed, package appears to be 404/gone and has been marked frozen.`,
    );
  }

  const github = gitHubRepositoryUrl(pkg.repository);
  const [rootBranch, tags, branches] = await Promise.all([reader.defaultBranch(), reader.tags(), reader.branches()]);
  let rootName: string | undefined;
  let rootHasComposerJson = false;
  const rootRef = branches.find((branch) => branch.name === rootBranch);
  if (rootRef) {
    try {
      const composer = await composerInformation(reader, rootRef.commit);
      rootHasComposerJson = composer !== undefined;
      rootName = typeof composer?.['name'] === 'string' && composer['name'] !== '' ? composer['name'] : undefined;
    } catch (error) {
      log.error(`Skipped parsing ${rootBranch}, ${(error as Error).message}`);
    }
  }
  const display = rootName ?? pkg.repository;

  /** GitHub's driver adds links to the source tree at this ref and to the issue tracker. */
  const withGitHubSupport = (composer: Json, commit: string) => {
    if (!github) return composer;
    let support = composer['support'];
    if (support !== undefined && !isObject(support)) support = {};
    const links: Json = { ...(support as Json | undefined) };
    if (links['source'] == null) {
      const label = tags.find((tag) => tag.commit === commit)?.name ?? branches.find((b) => b.commit === commit)?.name;
      links['source'] = `https://github.com/${github.owner}/${github.name}/tree/${label ?? commit}`;
    }
    if (links['issues'] == null) links['issues'] = `https://github.com/${github.owner}/${github.name}/issues`;
    return { ...composer, support: links };
  };

  const candidates: Candidate[] = [];
  for (const tag of tags) {
    // Composer strips a `release-` prefix from tag names.
    const name = tag.name.replaceAll('release-', '');
    const parsedTag = tryNormalizeVersion(name);
    if (parsedTag === undefined) {
      log.warning(`Skipped tag ${name}, invalid tag name`);
      continue;
    }
    log.info(`Reading composer.json of ${display} (${tag.name})`);
    try {
      const composer = await composerInformation(reader, tag.commit);
      if (!composer) {
        log.warning(`Skipped tag ${name}, no composer file`);
        continue;
      }
      let prettyVersion: string;
      let normalizedVersion: string;
      if (composer['version'] != null) {
        // A manually versioned package: composer.json's version must agree with the tag.
        prettyVersion = String(composer['version']);
        normalizedVersion = normalizeVersion(prettyVersion);
      } else {
        prettyVersion = name;
        normalizedVersion = parsedTag;
      }
      prettyVersion = prettyVersion.replace(/[.-]?dev$/i, '');
      normalizedVersion = normalizedVersion.replace(/(^dev-|[.-]?dev$)/i, '');
      if (normalizedVersion !== parsedTag) {
        if (/(^dev-|[.-]?dev$)/i.test(parsedTag)) {
          log.warning(`Skipped tag ${name}, invalid tag name, tags can not use dev prefixes or suffixes`);
        } else {
          log.warning(
            `Skipped tag ${name}, tag (${parsedTag}) does not match version (${normalizedVersion}) in composer.json`,
          );
        }
        continue;
      }
      const conflict = candidates.find((other) => other.normalizedVersion === normalizedVersion);
      if (conflict) {
        log.warning(
          `Skipped tag ${name}, it conflicts with an another tag (${conflict.prettyVersion}) as both resolve to ${normalizedVersion} internally`,
        );
        continue;
      }
      log.info(`Importing tag ${name} (${normalizedVersion})`);
      candidates.push({
        ref: tag,
        prettyVersion,
        normalizedVersion,
        development: false,
        defaultBranch: false,
        composer: withGitHubSupport(composer, tag.commit),
        releasedAt: parseReleaseTime(composer['time']),
      });
    } catch (error) {
      log.warning(`Skipped tag ${name}, ${(error as Error).message}`);
    }
  }

  let invalidBranches = false;
  // The default branch is read first.
  const orderedBranches =
    rootHasComposerJson && rootRef ? [rootRef, ...branches.filter((branch) => branch !== rootRef)] : branches;
  for (const branch of orderedBranches) {
    let normalizedVersion = normalizeBranch(branch.name);
    let prettyVersion: string;
    if (normalizedVersion.startsWith('dev-') || normalizedVersion === '9999999-dev') {
      prettyVersion = `dev-${branch.name.replaceAll('#', '+')}`;
      normalizedVersion = normalizedVersion.replaceAll('#', '+');
    } else {
      prettyVersion = (branch.name.startsWith('v') ? 'v' : '') + normalizedVersion.replace(/(\.9{7})+/g, '.x');
    }
    log.info(`Reading composer.json of ${display} (${branch.name})`);
    try {
      const composer = await composerInformation(reader, branch.commit);
      if (!composer) {
        log.warning(`Skipped branch ${branch.name}, no composer file`);
        continue;
      }
      const isDefault = branch.name === rootBranch;
      candidates.push({
        ref: branch,
        prettyVersion,
        normalizedVersion,
        development: true,
        defaultBranch: isDefault,
        composer: withGitHubSupport(composer, branch.commit),
        releasedAt: parseReleaseTime(composer['time']),
      });
      if (isDefault && composer['abandoned'] && pkg.abandoned === undefined) {
        log.info(`Marking package abandoned as per composer metadata from ${prettyVersion}`);
        pkg.abandoned = typeof composer['abandoned'] === 'string' ? composer['abandoned'] : true;
      }
    } catch (error) {
      invalidBranches = true;
      log.error(`Skipped branch ${branch.name}, ${(error as Error).message}`);
    }
  }

  const now = env.now();
  const buildVersion = async (candidate: Candidate, previous?: StoredVersion): Promise<StoredVersion> => {
    const commit = candidate.ref.commit;
    const archive = await env.dists.get(reader, commit, archiveFolderName(pkg.name, commit));
    const fields = versionFieldsFrom(candidate.composer, {
      source: {
        url: github ? `https://github.com/${github.owner}/${github.name}.git` : pkg.repository,
        reference: commit,
      },
      dist: { url: `${env.baseUrl}/dists/${pkg.name}/${commit}.zip`, reference: commit, shasum: archive.sha1 },
    });
    return {
      prettyVersion: candidate.prettyVersion,
      normalizedVersion: candidate.normalizedVersion,
      development: candidate.development,
      defaultBranch: candidate.defaultBranch,
      reference: commit,
      fields,
      releasedAt: candidate.releasedAt,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      softDeletedAt: undefined,
      lastBlockedReference: undefined,
    };
  };

  const kept = new Set<string>();
  const processed = new Map<string, Candidate>();
  for (const candidate of candidates.sort(compareCandidates)) {
    if (isIgnoredBranchVersion(candidate.prettyVersion)) continue;
    const key = candidate.normalizedVersion.toLowerCase();
    const duplicate = processed.get(key);
    if (duplicate) {
      log.info(`Skipping version ${candidate.prettyVersion} (duplicate of ${duplicate.prettyVersion})`);
      continue;
    }
    processed.set(key, candidate);
    kept.add(key);

    const existing = pkg.versions.get(key);
    if (!existing) {
      pkg.versions.set(key, await buildVersion(candidate));
      continue;
    }
    // A version that had vanished and is back is published again (with what was stored for it).
    existing.softDeletedAt = undefined;
    if (!candidate.development) {
      // Updater::applyStableImmutabilityGate: a known non-dev version keeps its reference forever.
      const attempted = candidate.ref.commit;
      if (existing.reference === attempted) {
        existing.lastBlockedReference = undefined;
      } else if (existing.lastBlockedReference !== attempted) {
        log.warning(
          `Refusing to update stable version ${existing.prettyVersion}: reference changed (was ${existing.reference}, now ${attempted}). Stable versions are immutable; tag a new version to publish changes.`,
        );
        existing.lastBlockedReference = attempted;
      }
      continue;
    }
    if (existing.reference !== candidate.ref.commit) {
      pkg.versions.set(key, await buildVersion(candidate, existing));
    } else if (existing.defaultBranch !== candidate.defaultBranch) {
      existing.defaultBranch = candidate.defaultBranch;
    }
  }

  // Versions whose tag or branch disappeared: hidden at once; dev versions are purged after a day.
  for (const [key, version] of pkg.versions) {
    if (kept.has(key)) continue;
    const expired = version.softDeletedAt !== undefined && version.softDeletedAt < now - DAY_MS;
    if (version.development && (expired || version.normalizedVersion === '9999999-dev')) {
      pkg.versions.delete(key);
    } else if (version.softDeletedAt === undefined) {
      version.softDeletedAt = now;
    }
  }

  log.info(
    `Updated from ${pkg.repository} using ${github ? 'Composer\\Repository\\Vcs\\GitHubDriver' : 'Composer\\Repository\\Vcs\\GitDriver'}`,
  );
  pkg.crawledAt = now;

  if (invalidBranches) {
    return finished('failed', `Update of ${pkg.name} failed, invalid composer.json metadata`, {
      exceptionMsg:
        'Some branches contained invalid data and were discarded, it is advised to review the log and fix any issues present in branches',
      exceptionClass: 'Composer\\Repository\\InvalidRepositoryException',
    });
  }
  return finished('completed', `Update of ${pkg.name} complete`);
}
