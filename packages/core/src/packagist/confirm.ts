import type { Clock } from '../clock.js';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { JobStatus, PackagistClient } from './client.js';
import type { PackageVersion } from './minified.js';
import { findVersion, isCommitId } from './version.js';

export interface WaitForVersionInput {
  client: PackagistClient;
  clock: Clock;
  logger: Logger;
  packageName: string;
  /** The tag as written (Packagist's `version`), e.g. `v1.2.3`. */
  version: string;
  /** The full sha of the commit the tag points at. */
  commit: string;
  /** Update jobs to watch, so that a failed crawl is reported at once rather than at the timeout. */
  jobIds?: string[];
  timeoutMs: number;
  /** How often a progress line is written while waiting. */
  progressEveryMs?: number;
  /** The error for a timeout, when the registry is not packagist.org (PACKAGIST_CONFIRM_TIMEOUT by default). */
  timeoutError?: (p: { packageName: string; version: string; seconds: number; lastSeen: string }) => PhpublishError;
}

export interface ServedVersion {
  entry: PackageVersion;
  elapsedMs: number;
}

/**
 * Packagist's dumper writes p2 metadata seconds after a crawl. When every update job has completed
 * and the version is still missing after this long, it is not coming (skipped tag, wrong name).
 */
export const LISTING_GRACE_MS = 30_000;

const FAILED_JOB_STATES = new Set(['failed', 'errored', 'package_gone', 'package_deleted']);
/** Outages that may pass: keep polling until the deadline instead of failing at once. */
export const TRANSIENT_PACKAGIST_ERRORS: ReadonlySet<string> = new Set([
  'PACKAGIST_UNAVAILABLE',
  'PACKAGIST_UNREACHABLE',
  'PACKAGIST_RATE_LIMITED',
]);

/** The commit a version entry points at (source first; dist for dist-only packages). */
export function referenceOf(entry: PackageVersion): string | undefined {
  return entry.source?.reference ?? entry.dist?.reference;
}

/** A reference as messages show it: quoted, so that spaces and control characters are visible, and short. */
export function quoteReference(reference: string): string {
  return JSON.stringify(reference.length > 80 ? `${reference.slice(0, 80)}…` : reference);
}

/**
 * Polls p2 metadata until `version` appears at `commit`, with backoff, a deadline and a progress
 * line. The version at another commit is an error (Packagist refuses to move a stable version, so
 * waiting longer cannot help), and so is a failed update job.
 */
export async function waitForVersion(input: WaitForVersionInput): Promise<ServedVersion> {
  const { client, clock, logger, packageName, version, commit } = input;
  const started = clock.now();
  const deadline = started + input.timeoutMs;
  const progressEvery = input.progressEveryMs ?? 10_000;
  let nextProgress = started + progressEvery;
  let lastModified: string | undefined;
  // The first polls come quickly (a crawl usually takes seconds), then back off to 10 s.
  let delay = 100;
  let lastSeen = 'the version is not listed yet';
  const pendingJobs = new Set(input.jobIds ?? []);
  const jobStates = new Map<string, JobStatus>();
  let jobsCompletedAt: number | undefined;

  for (;;) {
    try {
      const result = await client.getVersions(packageName, { ifModifiedSince: lastModified });
      if (result.state === 'found') {
        lastModified = result.lastModified;
        const entry = findVersion(result.versions, version);
        if (entry) {
          const reference = referenceOf(entry);
          if (reference === commit) return { entry, elapsedMs: clock.now() - started };
          if (reference !== undefined && !isCommitId(reference)) {
            throw new PhpublishError('PACKAGIST_REFERENCE_NOT_COMMIT', {
              packageName,
              version,
              reference: quoteReference(reference),
            });
          }
          throw new PhpublishError('PACKAGIST_VERSION_AT_OTHER_COMMIT', {
            packageName,
            version,
            expected: commit,
            actual: reference ?? '(none)',
          });
        }
        lastSeen = `the package has ${result.versions.length} version${result.versions.length === 1 ? '' : 's'}, not ${version}`;
      } else if (result.state === 'not-found') {
        lastSeen = 'the package has no metadata yet';
      }
      for (const id of pendingJobs) {
        const job = await client.getJob(id);
        jobStates.set(id, job);
        if (FAILED_JOB_STATES.has(job.status)) {
          throw new PhpublishError('PACKAGIST_JOB_FAILED', {
            jobId: id,
            status: job.status,
            serverMessage: job.message,
          });
        }
        if (job.status === 'completed') pendingJobs.delete(id);
      }
      if (jobStates.size > 0 && pendingJobs.size === 0) {
        jobsCompletedAt ??= clock.now();
        if (clock.now() - jobsCompletedAt >= LISTING_GRACE_MS) {
          throw new PhpublishError('PACKAGIST_VERSION_NOT_LISTED', {
            packageName,
            version,
            jobMessage: [...jobStates.values()].map((j) => j.message || j.status).join('; '),
          });
        }
      }
    } catch (error) {
      if (!(isPhpublishError(error) && TRANSIENT_PACKAGIST_ERRORS.has(error.code))) throw error;
      lastSeen = `Packagist is not answering: ${error.message}`;
    }

    const now = clock.now();
    if (now >= deadline) {
      const jobNote = describeJobs(jobStates);
      const timeout = {
        packageName,
        version,
        seconds: Math.round(input.timeoutMs / 1000),
        lastSeen: jobNote ? `${lastSeen}; ${jobNote}` : lastSeen,
      };
      throw input.timeoutError?.(timeout) ?? new PhpublishError('PACKAGIST_CONFIRM_TIMEOUT', timeout);
    }
    if (now >= nextProgress) {
      const jobNote = describeJobs(jobStates);
      logger.info(
        `Waiting for Packagist to serve ${packageName} ${version} at ${commit.slice(0, 12)}… ${Math.round((now - started) / 1000)} s (${lastSeen}${jobNote ? `; ${jobNote}` : ''})`,
      );
      nextProgress = now + progressEvery;
    }
    await clock.sleep(Math.min(delay, Math.max(0, deadline - now)));
    delay = Math.min(10_000, Math.round(delay * 1.5));
  }
}

function describeJobs(states: Map<string, JobStatus>): string {
  if (states.size === 0) return '';
  return [...states.entries()]
    .map(([id, s]) => `job ${id.slice(0, 8)} ${s.status}${s.message ? `: ${s.message.slice(0, 160)}` : ''}`)
    .join(', ');
}
