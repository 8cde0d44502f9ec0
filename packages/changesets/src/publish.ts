// The publish step of a changesets repository, on core's release session: find what changesets
// released, keep the PHP packages, and for each: preflight, the signed tag (made and pushed before
// changesets/action pushes its lightweight one), zip + attestation, Packagist, the posture report.
import type { Clock } from '@phpublish/core';
import type { Env } from '@phpublish/core/config';
import type { Logger } from '@phpublish/core/log';
import { findVersion, referenceOf } from '@phpublish/core/packagist';
import {
  packagistClientFor,
  type ReleasePosture,
  type ReleaseRef,
  ReleaseSession,
  type StartReleaseSessionInput,
} from '@phpublish/core/release';
import {
  currentPhpVersions,
  type PhpRelease,
  phpReleasesOf,
  type RepositoryMapping,
  thisRepository,
} from './php-releases.js';
import { checkRemoteTagSigned, locateReleaseTag, makeLocalTagSigned } from './release-tag.js';
import { parseChangesetsOutput, type ReleasedTag, readChangesetsOutputFile } from './released-tags.js';
import { readWorkspace } from './workspace.js';

/** The variable @changesets/cli 3 (and changesets/action v2) name the NDJSON output file with. */
export const CHANGESETS_OUTPUT_VARIABLE = 'CHANGESETS_OUTPUT';

/** What changesets said it released: a file (v3's NDJSON or v2's stdout), or text already read (a pipe). */
export type ChangesetsOutput = { path: string } | { text: string; source: string };

export interface PublishChangesetsInput {
  /** The repository root (where package.json, composer.json and .changeset/ are). */
  cwd: string;
  env: Env;
  logger: Logger;
  /** Default: the file CHANGESETS_OUTPUT names; without it, the versions whose tag the remote lacks. */
  output?: ChangesetsOutput;
  /** Preflight and say what would happen; change nothing. */
  dryRun?: boolean;
  /** Where tags are pushed; default `origin`. */
  remote?: string;
  /** phpublish's options (`packagist`, `signing`, `attest`, `report`). */
  options?: unknown;
  /** Where the posture table goes; default the logger. */
  print?: (text: string) => void;
  /** Which repository publishes each PHP package; default: the root package from this repository. */
  mapping?: RepositoryMapping;
  dispatcher?: StartReleaseSessionInput['dispatcher'];
  clock?: Clock;
}

export interface ChangesetsRelease {
  /** The package.json name. */
  name: string;
  tag: string;
  commit: string;
  /** `published`: this run published it (or finished it); `already-served`: nothing was left to do. */
  outcome: 'published' | 'already-served' | 'dry-run';
  posture?: ReleasePosture;
}

export interface ChangesetsPublishResult {
  /** Where the released tags came from. */
  source: 'changesets-output' | 'untagged-versions';
  releases: ChangesetsRelease[];
}

/**
 * Publishes what changesets released. Re-runnable: a release whose signed tag is already on the
 * remote is continued where it stopped (changesets never tags that version again), and one that
 * Packagist already serves at the tagged commit is left alone. Throws PhpublishError /
 * PhpublishAggregateError.
 */
export async function publishChangesetsRelease(input: PublishChangesetsInput): Promise<ChangesetsPublishResult> {
  const remote = input.remote ?? 'origin';
  const mapping = input.mapping ?? thisRepository(remote);
  const workspace = await readWorkspace(input.cwd);
  const released = await releasedTags(input);
  const source = released.tags === undefined ? 'untagged-versions' : 'changesets-output';
  let releases = released.tags ? phpReleasesOf(workspace, released.tags, mapping) : [];
  if (releases.length === 0) {
    // Nothing new named: the current version of each PHP package is released when the remote has
    // no tag for it yet, finished when its signed tag is there but Packagist does not serve it (a
    // re-run after a failure: changesets never tags that version again), else left alone.
    releases = phpReleasesOf(workspace, currentPhpVersions(workspace), mapping, {
      unserved: released.tags ? 'ignore' : 'refuse', // changesets named none of them: nothing to refuse
    });
  }
  const results: ChangesetsRelease[] = [];
  for (const release of releases) results.push(await publishOne(input, release));
  if (results.every((result) => result.outcome === 'already-served')) {
    input.logger.info(`phpublish: no PHP package to release (${describeSource(released)}); nothing to do.`);
  }
  return { source, releases: results };
}

async function publishOne(input: PublishChangesetsInput, release: PhpRelease): Promise<ChangesetsRelease> {
  const { repository } = release;
  const { tag, remote } = repository;
  const tagInput = { cwd: repository.cwd, env: input.env, tag, remote };
  const state = await locateReleaseTag(tagInput);
  const { commit } = state;
  // The preflight checks the release too (Packagist does not have it at another commit).
  const session = await startSession(input, repository.cwd, { tag, commit });
  try {
    if (state.remoteTag && (await servedAt(session, tag, commit))) {
      return { name: release.name, tag, commit, outcome: 'already-served' };
    }
    if (session.signingKey) await checkRemoteTagSigned(tagInput, state, session.signingKey);
    if (input.dryRun) {
      const before = state.remoteTag
        ? `${tag} is already on ${remote}, signed: would continue that release. `
        : state.localTag
          ? `Would replace the unsigned local ${tag} that changesets made with a signed one at the same commit. `
          : '';
      session.logger.info(`phpublish (dry run): ${before}${session.describeDryRun({ tag, commit })}`);
      return { name: release.name, tag, commit, outcome: 'dry-run' };
    }
    await makeLocalTagSigned({ ...tagInput, logger: session.logger, signingKey: session.signingKey }, state);
    const { posture } = await session.publish({ tag, commit, createAndPushTo: remote });
    await session.report(input.print ? { print: input.print } : {});
    return { name: release.name, tag, commit, outcome: 'published', posture };
  } finally {
    await session.cleanup();
  }
}

/**
 * Whether Packagist already serves `tag` at `commit` (so nothing is left to do). With Packagist off,
 * a tag on the remote is all there is to a release.
 */
async function servedAt(session: ReleaseSession, tag: string, commit: string): Promise<boolean> {
  if (session.context.config.packagist.mode === 'off') return true;
  const result = await packagistClientFor(session.context).getVersions(session.target.packageName);
  const entry = result.state === 'found' ? findVersion(result.versions, tag) : undefined;
  return entry !== undefined && referenceOf(entry) === commit;
}

function startSession(input: PublishChangesetsInput, cwd: string, release: ReleaseRef): Promise<ReleaseSession> {
  return ReleaseSession.start({
    cwd,
    release,
    env: input.env,
    options: withChangesetsDefaults(input.options),
    logger: input.logger,
    product: 'phpublish-changesets',
    ...(input.dispatcher ? { dispatcher: input.dispatcher } : {}),
    ...(input.clock ? { clock: input.clock } : {}),
  });
}

/** What attaches the bundle to a forge's release: changesets makes no release before this step. */
const RELEASE_STORES = ['storeReleaseAsset', 'storeGitLabReleaseLink'] as const;

/**
 * changesets/action creates the GitHub release after the publish script has run, and changesets
 * creates no GitLab release at all, so there is no release to attach the bundle to yet: unless the
 * options say otherwise, the attestation goes to GitHub's attestation store only (where `phpublish
 * verify` reads it).
 */
export function withChangesetsDefaults(options: unknown): unknown {
  if (options !== undefined && !isPlainObject(options)) return options; // the configuration check reports it
  const given = (options ?? {}) as Record<string, unknown>;
  const attest = given['attest'] ?? {};
  if (!isPlainObject(attest)) return options;
  const defaults = Object.fromEntries(RELEASE_STORES.filter((key) => !(key in attest)).map((key) => [key, false]));
  return { ...given, attest: { ...attest, ...defaults } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The released tags and where they were read; `tags` undefined when changesets said nothing (no output). */
async function releasedTags(input: PublishChangesetsInput): Promise<{ tags?: ReleasedTag[]; from: string }> {
  const { output } = input;
  if (output && 'text' in output)
    return { tags: parseChangesetsOutput(output.text, output.source), from: output.source };
  if (output) return { tags: await readChangesetsOutputFile(output.path), from: output.path };
  const fromEnv = input.env[CHANGESETS_OUTPUT_VARIABLE];
  if (fromEnv) {
    const tags = await readChangesetsOutputFile(fromEnv, { missing: 'undefined' });
    if (tags) return { tags, from: `${CHANGESETS_OUTPUT_VARIABLE}=${fromEnv}` };
    // A missing file: changesets tagged nothing, or the CLI never saw the variable (changesets/action
    // v2 sets it for the publish script). The versions themselves still say what is new.
    input.logger.info(
      `phpublish: ${fromEnv} (${CHANGESETS_OUTPUT_VARIABLE}) does not exist; looking for versions not tagged on the remote.`,
    );
  }
  return { from: 'no changesets output' };
}

function describeSource(released: { tags?: ReleasedTag[]; from: string }): string {
  return released.tags === undefined
    ? 'no changesets output, and Packagist serves the current version of every PHP package'
    : `changesets output: ${released.from}`;
}
