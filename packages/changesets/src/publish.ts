// The publish step of a changesets repository, on core's release session: find what changesets
// released, keep the PHP packages, and for each: preflight, the signed tag (made and pushed before
// changesets/action pushes its lightweight one), zip + attestation, Packagist, the posture report.
import {
  type Clock,
  type Env,
  type Logger,
  type ReleasePosture,
  ReleaseSession,
  type StartReleaseSessionInput,
} from '@phpublish/core';
import {
  currentPhpVersions,
  type PhpRelease,
  phpReleasesOf,
  type RepositoryMapping,
  thisRepository,
} from './php-releases.js';
import { inspectReleaseTag, makeLocalTagSigned, remoteTag } from './release-tag.js';
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
  /** Undefined in a dry run. */
  posture?: ReleasePosture;
}

export interface ChangesetsPublishResult {
  /** Where the released tags came from. */
  source: 'changesets-output' | 'untagged-versions';
  releases: ChangesetsRelease[];
  /** A release a previous run tagged and this run finished (only when nothing new was released). */
  finished?: { tag: string; commit: string };
}

/**
 * Publishes what changesets released. Re-runnable: a release whose signed tag is already on the
 * remote is continued where it stopped. Throws PhpublishError / PhpublishAggregateError.
 */
export async function publishChangesetsRelease(input: PublishChangesetsInput): Promise<ChangesetsPublishResult> {
  const { logger } = input;
  const remote = input.remote ?? 'origin';
  const mapping = input.mapping ?? thisRepository(remote);
  const workspace = await readWorkspace(input.cwd);
  const released = await releasedTags(input);
  let releases = phpReleasesOf(workspace, released.tags ?? currentPhpVersions(workspace), mapping);
  if (released.tags === undefined) {
    // Without changesets' word, a version is new when the remote does not have its tag yet.
    const untagged = await Promise.all(
      releases.map(async (release) =>
        (await remoteTag({ ...release.repository, env: input.env })) ? undefined : release,
      ),
    );
    releases = untagged.filter((release) => release !== undefined);
  }
  const source = released.tags === undefined ? 'untagged-versions' : 'changesets-output';

  if (releases.length === 0) {
    const finished = await finishUnfinished(input, workspace, mapping);
    if (!finished) logger.info(`phpublish: no PHP package was released (${describeSource(released)}); nothing to do.`);
    return { source, releases: [], ...(finished ? { finished } : {}) };
  }
  const results: ChangesetsRelease[] = [];
  for (const release of releases) results.push(await publishOne(input, release));
  return { source, releases: results };
}

async function publishOne(input: PublishChangesetsInput, release: PhpRelease): Promise<ChangesetsRelease> {
  const { repository } = release;
  const { tag, remote } = repository;
  const session = await startSession(input, repository.cwd);
  try {
    const tagInput = {
      cwd: repository.cwd,
      env: input.env,
      tag,
      remote,
      signingKey: session.signingKey,
      logger: session.logger,
    };
    const state = await inspectReleaseTag(tagInput);
    const { commit } = state;
    await session.checkRelease({ tag, commit });
    if (input.dryRun) {
      const before = state.onRemote
        ? `${tag} is already on ${remote}, signed: would continue that release. `
        : state.replacesLocalTag
          ? `Would replace the unsigned local ${tag} that changesets made with a signed one at the same commit. `
          : '';
      session.logger.info(`phpublish (dry run): ${before}${session.describeDryRun({ tag, commit })}`);
      return { name: release.name, tag, commit };
    }
    await makeLocalTagSigned(tagInput, state);
    const { posture } = await session.publish({ tag, commit, createAndPushTo: remote });
    await session.report(input.print ? { print: input.print } : {});
    return { name: release.name, tag, commit, posture };
  } finally {
    await session.cleanup();
  }
}

/**
 * Nothing new was released: a release a previous run tagged and pushed but did not get served by
 * Packagist is finished now (changesets never offers that version again).
 */
async function finishUnfinished(
  input: PublishChangesetsInput,
  workspace: Awaited<ReturnType<typeof readWorkspace>>,
  mapping: RepositoryMapping,
): Promise<{ tag: string; commit: string } | undefined> {
  const served = workspace.packages
    .filter((pkg) => pkg.php)
    .map((pkg) => mapping(pkg, { tag: `v${pkg.version}`, workspace }))
    .filter((repository) => repository !== undefined);
  for (const repository of served) {
    const session = await startSession(input, repository.cwd);
    try {
      const finished = await session.finishUnfinishedRelease({ dryRun: input.dryRun === true });
      if (finished) return finished;
    } finally {
      await session.cleanup();
    }
  }
  return undefined;
}

function startSession(input: PublishChangesetsInput, cwd: string): Promise<ReleaseSession> {
  return ReleaseSession.start({
    cwd,
    env: input.env,
    options: input.options,
    logger: input.logger,
    product: 'phpublish-changesets',
    ...(input.dispatcher ? { dispatcher: input.dispatcher } : {}),
    ...(input.clock ? { clock: input.clock } : {}),
  });
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
    ? 'no changesets output, and every PHP package version is already tagged on the remote'
    : `changesets output: ${released.from}`;
}
