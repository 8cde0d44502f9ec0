import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PhpublishError } from '../errors/index.js';
import { answerDeadline } from '../http/index.js';
import { tagObjectStore } from './cached-checks.js';
import { crashedReport } from './crashed-report.js';
import { TagFetcher } from './fetch-tag.js';
import { readGitHttpConfig } from './git-http/git-config.js';
import type { VerifyTarget } from './lock.js';
import { policyEntryFor, type VerifyPolicy } from './policy.js';
import { failed, type PackageReport, summarize, type VerifyReport } from './report.js';
import {
  createSession,
  DEFAULT_ENDPOINTS,
  type VerifyDeps,
  type VerifyEndpoints,
  type VerifySession,
} from './session.js';
import { HttpFirstTagSource, onceOnly } from './tag-source.js';
import { verifyPackage } from './verify-package.js';
import { verifyInWorkers, workerModule } from './worker-pool.js';

export interface VerifyPackagesInput {
  targets: readonly VerifyTarget[];
  policy: VerifyPolicy;
  /** Override the policy's (and the default) endpoints, e.g. from the command line. */
  endpoints?: Partial<VerifyEndpoints>;
  /** Packages verified at once, over all threads; 8 by default. */
  concurrency?: number;
  /**
   * Worker threads that share the packages (Sigstore verification and git's process start-ups are
   * CPU work): 1 (the default) verifies in this thread. Needs the built module; from sources (tests)
   * everything runs in this thread.
   */
  threads?: number;
  /** Packages the policy does not cover fail (VERIFY_NOT_COVERED) instead of being reported. */
  strict?: boolean;
}

/** How often a progress line is written while many packages are verified. */
const PROGRESS_EVERY_MS = 1000;

/**
 * Verifies packages against a policy with bounded concurrency, one connection pool per thread and
 * a scratch directory that is removed at the end. Never throws for what it finds: every finding
 * is in the report, and so is a defect met while verifying one package (VERIFY_INTERNAL_ERROR in
 * that package's row); only defects outside any one package propagate.
 */
export async function verifyPackages(input: VerifyPackagesInput, deps: VerifyDeps): Promise<VerifyReport> {
  const started = deps.clock.now();
  const endpoints: VerifyEndpoints = {
    packagistUrl: input.endpoints?.packagistUrl ?? input.policy.packagistUrl ?? DEFAULT_ENDPOINTS.packagistUrl,
    githubApiUrl: input.endpoints?.githubApiUrl ?? input.policy.githubApiUrl ?? DEFAULT_ENDPOINTS.githubApiUrl,
  };
  const gitlabApiUrl = input.endpoints?.gitlabApiUrl ?? input.policy.gitlabApiUrl;
  if (gitlabApiUrl) endpoints.gitlabApiUrl = gitlabApiUrl;
  const total = input.targets.length;
  const many = total > 1;
  const covered = input.targets.filter((t) => policyEntryFor(input.policy, t.packageName)).length;
  const concurrency = Math.max(1, Math.min(input.concurrency ?? 8, total || 1));
  const module = workerModule();
  const threads = module ? Math.max(1, Math.min(input.threads ?? 1, Math.ceil(covered / 8))) : 1;
  if (many) {
    deps.logger.info(
      `Verifying ${covered} of ${total} packages (the others are not covered by the policy), ${concurrency} at a time${threads > 1 ? ` in ${threads} threads` : ''}`,
    );
  }

  const reports: PackageReport[] = new Array(total);
  let done = 0;
  let failures = 0;
  let lastProgress = started;
  const onDone = (index: number, report: PackageReport) => {
    reports[index] = report;
    done += 1;
    if (report.status === 'failed') failures += 1;
    const now = deps.clock.now();
    if (many && (now - lastProgress >= PROGRESS_EVERY_MS || done === total)) {
      lastProgress = now;
      deps.logger.info(`${done}/${total} packages checked, ${failures} failed`);
    }
  };
  const indexed = input.targets.map((target, index) => ({ index, target }));
  const strict = input.strict ?? false;
  if (threads > 1 && module) {
    // Covered packages are dealt out to the threads; uncovered ones cost nothing and stay here.
    const work: typeof indexed = [];
    for (const item of indexed) {
      if (policyEntryFor(input.policy, item.target.packageName)) work.push(item);
      else onDone(item.index, notCovered(item.target, strict));
    }
    await verifyInWorkers(module, {
      shares: Array.from({ length: threads }, (_, t) => work.filter((_w, i) => i % threads === t)),
      policyFile: input.policy.file,
      endpoints,
      strict,
      concurrency: Math.max(1, Math.ceil(concurrency / threads)),
      deps,
      onDone,
    });
  } else {
    // Step-by-step lines are for one package; many get a progress line instead.
    const session = createSession(many ? { ...deps, logger: { ...deps.logger, info: () => {} } } : deps, endpoints);
    await verifyInThisThread(
      indexed,
      { policy: input.policy, session, concurrency, strict, tempDir: deps.tempDir, notice: (m) => deps.logger.info(m) },
      onDone,
    );
  }
  return summarize(reports, deps.clock.now() - started);
}

/**
 * Verifies packages in this thread, `concurrency` at a time. Each slot has its own scratch
 * repository for the tags git fetches (git never works on one concurrently) and scratch files;
 * all are removed at the end. The user's git configuration is read once for all of them.
 */
export async function verifyInThisThread(
  work: readonly { index: number; target: VerifyTarget }[],
  options: {
    policy: VerifyPolicy;
    session: VerifySession;
    concurrency: number;
    strict: boolean;
    tempDir: string;
    /** Where a line that must be seen even among many packages goes (tags fetched with git, and why). */
    notice: (message: string) => void;
  },
  onDone: (index: number, report: PackageReport) => void,
): Promise<void> {
  const scratch = await mkdtemp(join(options.tempDir, 'phpublish-verify-'));
  const { deps } = options.session;
  // Outside any repository (the scratch directory): what `git fetch` in a scratch repository sees.
  const gitConfig = await readGitHttpConfig({
    cwd: scratch,
    env: { ...deps.env, GIT_CEILING_DIRECTORIES: options.tempDir, LC_ALL: 'C' },
  });
  const notice = onceOnly(options.notice);
  let next = 0;
  const slot = async (number: number) => {
    const tags = new HttpFirstTagSource({
      config: gitConfig,
      http: options.session.http,
      redactor: deps.redactor,
      git: new TagFetcher(join(scratch, `tags-${number}`), deps.env, {
        timeoutMs: answerDeadline(options.session.http),
      }),
      notice,
      ...(options.session.cache ? { tagObjects: tagObjectStore(options.session.cache) } : {}),
    });
    const files = join(scratch, `files-${number}`);
    await mkdir(files);
    try {
      for (let i = next++; i < work.length; i = next++) {
        const { index, target } = work[i]!;
        const entry = policyEntryFor(options.policy, target.packageName);
        let report: PackageReport;
        try {
          report = entry
            ? await verifyPackage(target, entry, options.session, { scratch: files, tags })
            : notCovered(target, options.strict);
        } catch (error) {
          // A defect while verifying one package fails that package, never the run.
          report = crashedReport(target, error, entry?.key);
        }
        onDone(index, report);
      }
    } finally {
      await tags.close();
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, Math.max(1, work.length)) }, (_, n) => slot(n)),
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function notCovered(target: VerifyTarget, strict: boolean): PackageReport {
  const report: PackageReport = {
    packageName: target.packageName,
    ...(target.version ? { version: target.version } : {}),
    ...(target.locked?.reference ? { commit: target.locked.reference } : {}),
    status: strict ? 'failed' : 'not-covered',
    checks: [],
  };
  if (strict) {
    report.checks.push(failed('policy', new PhpublishError('VERIFY_NOT_COVERED', { packageName: target.packageName })));
  }
  return report;
}
