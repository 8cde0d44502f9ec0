// The semantic-release hooks mapped onto core's release session. semantic-release runs every hook
// of one release in one process, in order; the session is this plugin's only state.
import type { Logger } from '@phpublish/core/log';
import { ReleaseSession } from '@phpublish/core/release';
import { translatingErrors } from './errors.js';
import type { PluginConfig, SemanticReleaseContext, SemanticReleaseLogger } from './semantic-release-types.js';

/** phpublish's own option groups; semantic-release merges its global options into pluginConfig too. */
const OWN_OPTIONS = Object.freeze(['packagist', 'signing', 'attest', 'report'] as const);

let session: ReleaseSession | undefined;

/** Every check before anything happens (all problems at once); finishes a release a previous run left unfinished. */
export async function verifyConditions(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  await translatingErrors(async () => {
    await session?.cleanup(); // a previous release in this process
    session = undefined;
    session = await ReleaseSession.start({
      cwd: context.cwd,
      env: context.env,
      options: ownOptions(pluginConfig),
      logger: adaptLogger(context.logger),
      product: 'phpublish-semantic-release',
      // The URL before semantic-release added the credentials it pushes with.
      hostRepositoryUrl: context.options.originalRepositoryURL ?? context.options.repositoryUrl,
    });
    await session.finishUnfinishedRelease({ dryRun: context.options.dryRun === true });
  });
}

/** Checks the version about to be released (also in dry runs), before the tag exists. */
export async function verifyRelease(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  await translatingErrors(async () => {
    const current = await ensureSession(pluginConfig, context);
    const release = releaseOf(context);
    if (!release) return;
    await current.checkRelease(release, commitsDuringRelease(context) ? { commitMadeBy: GIT_PLUGIN } : {});
    if (context.options.dryRun) current.logger.info(`phpublish (dry run): ${current.describeDryRun(release)}`);
  });
}

/**
 * semantic-release's own `git tag <name> <sha>` runs with process.env after every plugin's prepare:
 * the signing variables go there (and into context.env) until this plugin's publish restores them.
 */
export async function prepare(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  await translatingErrors(async () => {
    const current = await ensureSession(pluginConfig, context);
    const release = releaseOf(context);
    if (release) await current.setSigningEnvironment(release.tag, [process.env, context.env]);
  });
}

/** semantic-release has tagged and pushed: check the tag's signature, build and attest the zip, notify Packagist, confirm. */
export async function publish(
  pluginConfig: PluginConfig,
  context: SemanticReleaseContext,
): Promise<{ name: string; url: string } | false> {
  session?.restoreEnvironment(); // first: nothing after semantic-release's tag step sees the signing variables
  return translatingErrors(async () => {
    const current = await ensureSession(pluginConfig, context);
    const release = releaseOf(context);
    if (!release) return false;
    await current.publish(release);
    const url = current.posture?.packagist?.notified === 'off' ? undefined : current.packagistUrl(release.tag);
    return url ? { name: 'Packagist', url } : false;
  });
}

/** The posture table: the log, the job summary, and the release notes when asked. */
export async function success(_pluginConfig: PluginConfig, _context: SemanticReleaseContext): Promise<void> {
  try {
    await session?.report();
  } finally {
    await session?.cleanup();
  }
}

/** Cleans up and says how a re-run continues. */
export async function fail(_pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  session?.restoreEnvironment();
  await session?.cleanup();
  if (context.nextRelease) {
    context.logger.log(
      `phpublish: the release of ${context.nextRelease.gitTag} did not finish. Run the release again: phpublish finishes a tagged release that Packagist does not serve yet, without tagging or publishing anything twice.`,
    );
  }
}

/** Later hooks verify first when verifyConditions did not run in this process (as semantic-release's own plugins do). */
async function ensureSession(pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<ReleaseSession> {
  if (!session) await verifyConditions(pluginConfig, context);
  if (!session) throw new Error('phpublish: verifyConditions did not complete');
  return session;
}

function releaseOf(context: SemanticReleaseContext): { tag: string; commit: string } | undefined {
  const next = context.nextRelease;
  return next ? { tag: next.gitTag, commit: next.gitHead } : undefined;
}

/** The plugin that commits release assets in `prepare`; semantic-release then tags that commit. */
const GIT_PLUGIN = '@semantic-release/git';

function commitsDuringRelease(context: SemanticReleaseContext): boolean {
  return (context.options.plugins ?? []).some((plugin) => (Array.isArray(plugin) ? plugin[0] : plugin) === GIT_PLUGIN);
}

function ownOptions(pluginConfig: PluginConfig): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const key of OWN_OPTIONS) if (pluginConfig[key] !== undefined) options[key] = pluginConfig[key];
  return options;
}

function adaptLogger(logger: SemanticReleaseLogger): Logger {
  return {
    info: (m) => logger.log(m),
    warn: (m) => (logger.warn ? logger.warn(m) : logger.log(`warning: ${m}`)),
    error: (m) => logger.error(m),
    success: (m) => (logger.success ? logger.success(m) : logger.log(m)),
  };
}
