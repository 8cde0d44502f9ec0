// release-it's lifecycle mapped onto core's release session. release-it runs one release per
// process and creates one instance of this plugin for it; the session is the instance's only state.
// Core is loaded when a step runs, so that loading the plugin costs almost nothing (core, zod,
// undici, openpgp and sigstore are only loaded then).
import type { Logger } from '@phpublish/core/log';
import type { ReleaseSession } from '@phpublish/core/release';
import * as releaseIt from 'release-it';
import { refuseUnsupportedNode, toReleaseItError } from './errors.js';

/** phpublish's own option groups under `plugins["@phpublish/release-it"]`. */
const OWN_OPTIONS = Object.freeze(['packagist', 'signing', 'attest', 'report'] as const);

/** What this plugin uses of release-it's `Plugin` (release-it's types do not declare it). */
interface ReleaseItPluginMembers {
  readonly options: Record<string, unknown>;
  readonly config: { getContext(path?: string): unknown; readonly isDryRun: boolean };
  registerPrompts(prompts: Record<string, { type: 'confirm'; message: () => string; default: boolean }>): void;
  /** In `--ci` runs the task; interactively asks the named prompt first and runs it only on "yes". */
  step(options: { task: () => Promise<unknown>; label: string; prompt: string }): Promise<unknown>;
  readonly log: {
    log(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  };
}
const ReleaseItPlugin = (releaseIt as unknown as { Plugin: new (input: unknown) => ReleaseItPluginMembers }).Plugin;

export default class PhpublishReleaseItPlugin extends ReleaseItPlugin {
  private session: ReleaseSession | undefined;

  /** The core preflight, every problem at once; finishes a release a previous run tagged but did not publish. */
  async init(): Promise<void> {
    const unfinished = await this.translatingErrors(async () => {
      const { ReleaseSession } = await import('@phpublish/core/release');
      this.session = await ReleaseSession.start({
        cwd: process.cwd(),
        // release-it spawns git with process.env: the signing variables must go there.
        env: process.env,
        options: ownOptions(this.options),
        logger: this.logger(),
        product: 'phpublish-release-it',
      });
      return this.session.finishUnfinishedRelease({ dryRun: this.config.isDryRun });
    });
    // A re-run after a failure (tag pushed, Packagist not serving it) finishes that release and stops
    // there, as the run it repeats would have: no second tag, no new version.
    if (unfinished) throw stopAfterFinishing(unfinished.tag, this.config.isDryRun);
  }

  /**
   * Runs after every bump (release-it's git plugin has named the tag) and, for external plugins,
   * before release-it's own git step: checks the version, then sets the process-scoped git
   * configuration with which release-it's unchanged `git tag --annotate --message …` signs the tag.
   */
  async beforeRelease(): Promise<void> {
    await this.translatingErrors(async () => {
      const session = this.started();
      const release = { tag: this.tagName(), commit: await this.commitOf('HEAD') };
      await session.checkRelease(release, (await this.willCommit()) ? { commitMadeBy: 'release-it' } : {});
      if (this.config.isDryRun) {
        this.log.info(`phpublish (dry run): ${session.describeDryRun(release)}`);
        return;
      }
      // In process.env, which release-it's shell passes to its unchanged `git tag`; restored first
      // thing in `release`, which runs right after release-it's own git step.
      await session.setSigningEnvironment(release.tag, [process.env]);
    });
  }

  /**
   * External plugins' release runs after release-it's git tag, push and GitHub/GitLab release.
   * Interactively, asks first, as release-it's npm plugin asks before publishing.
   */
  async release(): Promise<void> {
    this.session?.restoreEnvironment(); // first: nothing after release-it's git step sees the signing variables
    if (this.config.isDryRun) return;
    const tag = this.tagName();
    this.registerPrompts({
      publish: {
        type: 'confirm',
        message: () => `Publish ${tag} to Packagist (zip, attestation, notify)?`,
        default: true,
      },
    });
    await this.step({
      label: 'phpublish: attest and publish to Packagist',
      prompt: 'publish',
      task: () =>
        this.translatingErrors(async () => {
          await this.started().publish({ tag, commit: await this.commitOf(`${tag}^{commit}`) });
        }),
    });
  }

  /** The posture table to the log and $GITHUB_STEP_SUMMARY. */
  async afterRelease(): Promise<void> {
    if (this.config.isDryRun) return this.session?.cleanup();
    await this.translatingErrors(async () => {
      await this.session?.report({ print: (text) => this.log.log(text) });
      await this.session?.cleanup();
    });
  }

  private started(): ReleaseSession {
    if (!this.session) throw new Error('phpublish: the release-it plugin was not initialised');
    return this.session;
  }

  private tagName(): string {
    const tag = this.config.getContext('tagName');
    if (typeof tag !== 'string' || tag === '')
      throw new Error('phpublish: release-it named no tag (is its git plugin on?)');
    return tag;
  }

  /**
   * Whether release-it's git step will commit before tagging: `git.commit` is on and tracked files
   * changed (release-it commits those; with nothing to commit it tags HEAD). Plugins listed before
   * phpublish (changelogs, version files) have written their files by now.
   */
  private async willCommit(): Promise<boolean> {
    if (this.config.getContext('git.commit') === false) return false;
    const { git } = await import('@phpublish/core/git');
    const changed = await git(['status', '--porcelain', '--untracked-files=no'], {
      cwd: process.cwd(),
      env: process.env,
    });
    return changed.trim() !== '';
  }

  private async commitOf(ref: string): Promise<string> {
    const { git } = await import('@phpublish/core/git');
    return (await git(['rev-parse', '--verify', ref], { cwd: process.cwd(), env: process.env })).trim();
  }

  /** Runs a step; on failure restores the environment, removes the tools and says how a re-run continues. */
  private async translatingErrors<T>(step: () => Promise<T>): Promise<T> {
    await refuseUnsupportedNode();
    try {
      return await step();
    } catch (error) {
      if (this.session) {
        await this.session.cleanup();
        if (this.session.done.includes('signing-environment')) {
          this.log.warn(
            'phpublish: the release did not finish. Run the release again: phpublish finishes a tagged release that Packagist does not serve yet, without tagging or publishing anything twice.',
          );
        }
      }
      throw await toReleaseItError(error);
    }
  }

  private logger(): Logger {
    const log = this.log;
    return {
      info: (m) => log.info(m),
      warn: (m) => log.warn(m),
      error: (m) => log.error(m),
      success: (m) => log.log(m),
    };
  }
}

/**
 * release-it logs an error whose cause is 'INFO' as information and exits with the error's `code`:
 * the way to end a run early and successfully.
 */
function stopAfterFinishing(tag: string, dryRun: boolean): Error {
  const message = dryRun
    ? `phpublish (dry run): would finish ${tag} and release nothing else in this run.`
    : `phpublish: finished ${tag}, which a previous run tagged; nothing else is released in this run (run release-it again for a new version).`;
  return Object.assign(new Error(message, { cause: 'INFO' }), { code: 0 });
}

function ownOptions(pluginOptions: Record<string, unknown>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const key of OWN_OPTIONS) if (pluginOptions[key] !== undefined) options[key] = pluginOptions[key];
  return options;
}
