import { appendFile } from 'node:fs/promises';
import { describeError } from '../archive/output-file.js';
import { attestedCommitProblemIn } from '../attest/attested-commit.js';
import type { Env } from '../config/index.js';
import { isPhpublishError, PhpublishAggregateError, PhpublishError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { SigningKey } from '../pgp/index.js';
import type { CreateReleaseContextInput, ReleaseContext } from './context.js';
import { type DiagnosisRow, diagnose } from './doctor.js';
import {
  type GitSigningTools,
  gitSigningEnvironment,
  type RestoreVariables,
  setVariables,
  writeGitSigningTools,
} from './git-signing-environment.js';
import type { PackagistTarget } from './packagist-target.js';
import { postureMarkdown, postureText, type ReleasePosture } from './posture.js';
import { createContextAndPreflight } from './preflight.js';
import { preflightPackagist } from './preflight-packagist.js';
import { type PublishedRelease, publishRelease } from './publish-release.js';
import { appendPostureToGitHubRelease } from './release-notes.js';
import { findUnfinishedRelease, type UnfinishedRelease } from './resume.js';

/** One release: its tag and the commit it points at. */
export interface ReleaseRef {
  tag: string;
  commit: string;
}

export interface StartReleaseSessionInput extends CreateReleaseContextInput {
  /** The repository URL the host tool knows (may carry credentials; they are stripped). */
  hostRepositoryUrl?: string;
  /** The release, when the host knows it before preflight (the CLI): it is checked then too. */
  release?: ReleaseRef;
}

/** The steps of a release, in order; `done` lists those this session has finished. */
export const RELEASE_STEPS = ['preflight', 'signing-environment', 'publish', 'report', 'cleanup'] as const;
export type ReleaseStep = (typeof RELEASE_STEPS)[number];

/**
 * One release from preflight to cleanup: the resolved configuration and context, what the
 * preflight established, the signing environment handed to a host's own `git tag`, the posture
 * and where it is written, and the temporary tools to remove. Host adapters (the CLI, the
 * semantic-release plugin, release-it and changesets next) hold one session per release and map
 * their hooks onto its methods; all state of a release lives here, none at module level.
 */
export class ReleaseSession {
  /** Steps finished so far, in order. */
  readonly done: ReleaseStep[] = ['preflight'];
  private tools: GitSigningTools | undefined;
  private readonly restores: RestoreVariables[] = [];
  private published: PublishedRelease | undefined;

  private constructor(
    readonly context: ReleaseContext,
    readonly target: PackagistTarget,
    readonly signingKey: SigningKey | undefined,
  ) {}

  /**
   * Resolves the configuration and runs the preflight: every problem at once (thrown as a
   * PhpublishAggregateError), nothing changed anywhere.
   */
  static async start({
    hostRepositoryUrl,
    release,
    ...contextInput
  }: StartReleaseSessionInput): Promise<ReleaseSession> {
    const { context, target, signingKey } = await createContextAndPreflight(contextInput, {
      ...(hostRepositoryUrl === undefined ? {} : { hostRepositoryUrl }),
      ...(release ? { release: { version: release.tag, commit: release.commit } } : {}),
    });
    const session = new ReleaseSession(context, target, signingKey);
    const { config } = context;
    context.logger.success(
      `phpublish: ${target.packageName} from ${target.repositoryUrl}; tags ${signingKey ? `signed with key ${signingKey.fingerprint}` : 'not signed (no PHPUBLISH_GPG_PRIVATE_KEY)'}; Packagist ${config.options.packagist.oidc === 'required' ? 'through its OIDC token exchange' : `mode ${config.packagist.mode}`}.`,
    );
    return session;
  }

  /**
   * What `start` would find, layer by layer, without stopping at the first broken one and without
   * changing anything (`phpublish doctor`). A `problem` row is exactly what makes `start` fail.
   */
  static diagnose({ cwd, env, options, logger }: CreateReleaseContextInput): Promise<DiagnosisRow[]> {
    return diagnose({ cwd, env, options, logger });
  }

  get logger(): Logger {
    return this.context.logger;
  }

  /** The steps still to do, in order. */
  get toDo(): ReleaseStep[] {
    return RELEASE_STEPS.filter((step) => !this.done.includes(step));
  }

  /** The posture of the release this session published, once it has. */
  get posture(): ReleasePosture | undefined {
    return this.published?.posture;
  }

  /**
   * Finishes a release that a previous run tagged and pushed but did not get served by Packagist
   * (hosts that push before publishing never offer that version again): the whole publish (the
   * tag's signature, zip, attestation, Packagist) and its report. In a dry run, only says so.
   */
  async finishUnfinishedRelease({ dryRun = false }: { dryRun?: boolean } = {}): Promise<UnfinishedRelease | undefined> {
    const unfinished = await findUnfinishedRelease(this.context, this.keyed());
    if (!unfinished) return undefined;
    if (dryRun) {
      this.logger.info(
        `phpublish: would finish ${unfinished.tag}, which a previous run tagged but Packagist does not serve.`,
      );
      return unfinished;
    }
    this.logger.info(`phpublish: finishing ${unfinished.tag}, which a previous run tagged but did not publish.`);
    // Every step the previous run may have missed, not only Packagist: it may have stopped before
    // attesting (GitHub down, a draft release). Each step keeps what that run already did.
    await this.publish(unfinished);
    await this.report();
    return unfinished;
  }

  /**
   * Checks a release the host names only after preflight (before its tag exists): every problem at
   * once. `commitMadeBy` names the host tool when it commits during the release and tags that
   * commit (release-it's `git.commit` with changes to commit): an attestation could not name it.
   */
  async checkRelease({ tag, commit }: ReleaseRef, { commitMadeBy }: { commitMadeBy?: string } = {}): Promise<void> {
    const problems = await preflightPackagist(this.context, {
      target: this.target,
      release: { version: tag, commit },
    });
    if (this.context.config.options.attest.enabled) {
      const tagged = commitMadeBy === undefined ? commit : { madeBy: commitMadeBy };
      const otherCommit = attestedCommitProblemIn(this.context.env, { tag, commit: tagged });
      if (otherCommit) problems.push(otherCommit);
    }
    if (problems.length > 0) throw new PhpublishAggregateError(problems);
  }

  /** What publishing `release` would do, in one sentence: what a dry run says, in every host. */
  describeDryRun({ tag, commit }: ReleaseRef): string {
    const { config } = this.context;
    const mode = config.packagist.mode;
    const attest = config.options.attest.enabled;
    const at = commit.slice(0, 12);
    const { oidc, mode: requested } = config.options.packagist;
    // Whether Packagist offers its OIDC exchange is not asked here (the dry run stays free of requests):
    // `required` passed preflight, so it will be used; `auto` decides at release time.
    const oidcPossible = oidc !== 'off' && (requested === 'auto' || requested === 'token');
    const withoutOidc =
      mode === 'token'
        ? 'call Packagist update-package'
        : mode === 'github-app'
          ? 'rely on the Packagist GitHub App'
          : mode === 'private-packagist'
            ? 'publish the zip as a Private Packagist artifact (trusted publishing)'
            : 'skip Packagist';
    const withOidc = 'call Packagist update-package with a short-lived OIDC credential';
    const packagist = !oidcPossible
      ? withoutOidc
      : oidc === 'required'
        ? `${withOidc} (packagist.oidc: required)`
        : `${withOidc} if Packagist offers its OIDC token exchange (packagist.oidc: auto), else ${mode === 'token' ? 'call it with the API token' : withoutOidc}`;
    const confirm =
      mode !== 'off' && config.options.packagist.confirm.enabled ? ` and wait until Packagist serves it at ${at}` : '';
    return [
      `Preflight passed. Would release ${this.target.packageName} ${tag} at ${at}: `,
      `${this.signingKey ? 'signed tag' : 'unsigned tag'}, ${attest ? 'attested zip' : 'zip without attestation'}, Packagist ${oidcPossible && oidc === 'required' ? 'through its OIDC token exchange' : `mode ${mode}`}. `,
      `That is: would make ${tag} ${this.signingKey ? `an OpenPGP-signed tag (key ${this.signingKey.fingerprint})` : 'an unsigned tag'}, `,
      `then ${packagist}${confirm}, after building ${attest ? 'and attesting ' : ''}the dist zip.`,
    ].join('');
  }

  /**
   * The variables that make a host's own plain `git tag <name> <sha>` an OpenPGP-signed annotated
   * tag, appended to the GIT_CONFIG_* entries `env` already has; undefined when tags are not signed.
   * Writes the small launchers git runs (once per session; `cleanup` removes them). The adapter
   * decides how its host receives the variables (`setSigningEnvironment` sets them on env objects).
   */
  async signingVariables(env: Env, tag: string): Promise<Record<string, string> | undefined> {
    if (!this.signingKey) return undefined;
    this.tools ??= await writeGitSigningTools();
    return gitSigningEnvironment(env, {
      tools: this.tools,
      fingerprint: this.signingKey.fingerprint,
      message: `Release ${tag}`,
    });
  }

  /**
   * Sets the signing variables on each of `envs` (computed from the first), until
   * `restoreEnvironment` puts back exactly what was there. Returns whether the tag will be signed.
   */
  async setSigningEnvironment(tag: string, envs: [Env, ...Env[]]): Promise<boolean> {
    const variables = await this.signingVariables(envs[0], tag);
    if (!variables || !this.tools) return false;
    for (const env of envs) this.restores.push(setVariables(env, variables));
    // Restored as soon as the host's `git tag` has started, so that no later step of the host (other
    // plugins' publish and success) runs with them; `restoreEnvironment` also does it at the latest.
    this.restores.push(this.tools.onTagMessageWritten(() => this.restoreEnvironment()));
    this.markDone('signing-environment');
    this.logger.info(`phpublish: ${tag} will be an OpenPGP-signed tag (key ${this.signingKey?.fingerprint}).`);
    return true;
  }

  /** Puts back what `setSigningEnvironment` changed: values and absence alike. Safe to call again. */
  restoreEnvironment(): void {
    for (const restore of this.restores.splice(0).reverse()) restore();
  }

  /**
   * The release after preflight: the signed tag (created and pushed when `createAndPushTo` names a
   * remote, else checked), the reproducible zip and its attestation, Packagist. Re-runnable.
   */
  async publish(release: ReleaseRef & { createAndPushTo?: string }): Promise<PublishedRelease> {
    this.published = await publishRelease(this.context, {
      ...this.keyed(),
      tag: release.tag,
      commit: release.commit,
      ...(release.createAndPushTo === undefined ? {} : { createAndPushTo: release.createAndPushTo }),
    });
    this.markDone('publish');
    return this.published;
  }

  /** Where this release's Packagist page is, for hosts that list where a release went. */
  packagistUrl(tag: string): string | undefined {
    // Private Packagist: the organisation's pages need a login; there is no public page to link.
    if (this.context.config.packagist.mode === 'off' || this.context.config.packagist.mode === 'private-packagist')
      return undefined;
    const base = this.context.config.options.packagist.url.replace(/\/+$/, '');
    return `${base}/packages/${this.target.packageName}#${tag}`;
  }

  /**
   * Writes the posture of the published release: the plain table to `print` (default: the log),
   * Markdown to $GITHUB_STEP_SUMMARY when set, and to the GitHub release notes when
   * `report.releaseNotes` is on in GitHub Actions (a failure there is a warning: the release is done).
   */
  async report({ print }: { print?: (text: string) => void } = {}): Promise<void> {
    const posture = this.posture;
    if (!posture) return;
    const { env, config, logger } = this.context;
    (print ?? ((text: string) => logger.info(text)))(postureText(posture));
    const summaryFile = env['GITHUB_STEP_SUMMARY'];
    // The release is complete by now and the table is in the log: a summary that cannot be written is a warning.
    if (summaryFile) {
      await appendFile(summaryFile, postureMarkdown(posture)).catch((error: unknown) =>
        logger.warn(
          new PhpublishError('REPORT_SUMMARY_WRITE_FAILED', {
            file: summaryFile,
            problem: describeError(error),
          }).format(),
        ),
      );
    }
    if (config.options.report.releaseNotes && env['GITHUB_ACTIONS'] === 'true') {
      try {
        await appendPostureToGitHubRelease(this.context, { tag: posture.version, markdown: postureMarkdown(posture) });
      } catch (error) {
        if (!isPhpublishError(error)) throw error;
        logger.warn(error.format());
      }
    }
    this.markDone('report');
  }

  /** Restores the environment and removes the temporary tools; safe to call more than once. */
  async cleanup(): Promise<void> {
    this.restoreEnvironment();
    await this.tools?.remove();
    this.tools = undefined;
    this.markDone('cleanup');
  }

  private keyed(): { target: PackagistTarget; signingKey?: SigningKey } {
    return { target: this.target, ...(this.signingKey ? { signingKey: this.signingKey } : {}) };
  }

  private markDone(step: ReleaseStep): void {
    if (!this.done.includes(step)) this.done.push(step);
  }
}
