import { PhpublishError } from '@phpublish/core';
import { loadOptionsFile } from '@phpublish/core/config';
import { resolveCommit } from '@phpublish/core/git';
import { quoteValue } from '@phpublish/core/input';
import { ReleaseSession } from '@phpublish/core/release';
import type { Command } from '../command.js';
import { gitArgumentProblem, tagArgument, UsageError, withoutUserInfo } from '../command-line.js';
import { EXIT } from '../exit-codes.js';
import { type CommandIo, stderrLogger } from '../io.js';

export const publishCommand: Command = {
  usage: 'phpublish publish <tag> [--commit <ref>] [--remote <name>] [--dry-run] [--oidc] [--config <file>] [--json]',
  help: [
    'The whole pipeline for one release, for PHP-only repositories and any CI:',
    '  1. preflight: options, credentials, signing key, CI identity, composer.json, Packagist (every problem at once)',
    '  2. the tag: created as an OpenPGP-signed annotated tag at --commit (default HEAD) and pushed,',
    '     or, when it exists, checked to point there and to be signed by your key',
    '  3. the reproducible dist zip and its Sigstore-signed provenance, stored on the release',
    '  4. Packagist: update-package (or the GitHub App), then confirmation that it serves the tag’s commit',
    '  5. the posture table (also appended to $GITHUB_STEP_SUMMARY)',
    'Re-running after a failure continues where it stopped; nothing is tagged or published twice.',
    '',
    'Options:',
    '  --commit <ref>    what to release when the tag does not exist yet (default HEAD)',
    '  --remote <name>   where to push the tag (default origin)',
    '  --dry-run         run the preflight and say what would happen; change nothing',
    '  --oidc            Packagist with a short-lived credential from its OIDC token exchange only',
    '                    (packagist.oidc: required; fails when the exchange or the CI ID token is missing)',
    '  --config <file>   options file (default: phpublish.config.json when present)',
    '  --json            print the posture as JSON on stdout',
    '',
    'Environment: see docs/configuration.md (PACKAGIST_*, PHPUBLISH_GPG_*, the CI’s variables).',
  ].join('\n'),
  options: {
    commit: { type: 'string' },
    remote: { type: 'string' },
    'dry-run': { type: 'boolean' },
    oidc: { type: 'boolean' },
    config: { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  async run({ values, positionals }, io: CommandIo) {
    const tag = tagArgument(positionals, 'release');
    const commitRef = gitArgument(values, 'commit');
    const remote = gitArgument(values, 'remote') ?? 'origin';
    const fileOptions = await loadOptionsFile(io.cwd, values['config'] as string | undefined);
    const options = values['oidc'] ? requireOidc(fileOptions) : fileOptions;
    const gitOptions = { cwd: io.cwd, env: io.env };
    const commit = await commitToRelease(tag, commitRef, gitOptions);
    const session = await ReleaseSession.start({
      cwd: io.cwd,
      env: io.env,
      options,
      logger: stderrLogger(io),
      release: { tag, commit },
    });
    try {
      if (values['dry-run']) {
        session.logger.success(session.describeDryRun({ tag, commit }));
        return EXIT.ok;
      }
      const { posture, artifacts } = await session.publish({ tag, commit, createAndPushTo: remote });
      // With --json, stdout holds the JSON alone; the step summary (and release notes) are written either way.
      await session.report({ print: values['json'] ? () => {} : (text) => io.stdout.write(`${text}\n`) });
      if (values['json']) {
        io.stdout.write(
          `${JSON.stringify({ posture, zip: artifacts.zip, contentDigest: artifacts.contentDigest }, null, 2)}\n`,
        );
      }
    } finally {
      await session.cleanup();
    }
    return EXIT.ok;
  },
};

/** `--oidc`: the options with `packagist.oidc: required` (anything else in them is validated as usual). */
function requireOidc(options: unknown): unknown {
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  const base = isObject(options) ? options : {};
  const packagist = isObject(base['packagist']) ? base['packagist'] : {};
  return { ...base, packagist: { ...packagist, oidc: 'required' } };
}

/** An option git reads as a revision or remote: never empty, never something git would take as an option. */
function gitArgument(values: Record<string, unknown>, option: string): string | undefined {
  const value = values[option] as string | undefined;
  const problem = value === undefined ? undefined : gitArgumentProblem(value);
  if (problem) throw new UsageError(`--${option} ${quoteValue(withoutUserInfo(value!))} cannot be used: ${problem}.`);
  return value;
}

/**
 * The commit to release: the tag's when it exists (and --commit, if given, must name the same one),
 * else what --commit names, else HEAD. Only `refs/tags/<tag>` is the tag: a branch or a commit id
 * that happens to be spelled like the tag is not.
 */
async function commitToRelease(
  tag: string,
  commitRef: string | undefined,
  git: { cwd: string; env: Record<string, string | undefined> },
): Promise<string> {
  const tagCommit = await resolveCommit(`refs/tags/${tag}`, git);
  if (tagCommit && commitRef === undefined) return tagCommit;
  const ref = commitRef ?? 'HEAD';
  const commit = await resolveCommit(ref, git);
  if (!commit) throw new PhpublishError('PUBLISH_COMMIT_NOT_FOUND', { ref, fromOption: commitRef !== undefined });
  if (tagCommit && commit !== tagCommit) {
    throw new PhpublishError('PUBLISH_TAG_AT_OTHER_COMMIT', { tag, tagCommit, ref, commit });
  }
  return commit;
}
