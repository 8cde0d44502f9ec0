import { PhpublishError } from '@phpublish/core';
import { loadOptionsFile } from '@phpublish/core/config';
import { resolveCommit } from '@phpublish/core/git';
import { createReleaseContext, notifyPackagist, preflight } from '@phpublish/core/release';
import type { Command } from '../command.js';
import { tagArgument } from '../command-line.js';
import { EXIT } from '../exit-codes.js';
import { type CommandIo, stderrLogger } from '../io.js';

export const notifyCommand: Command = {
  usage: 'phpublish notify <tag> [--config <file>] [--json]',
  help: [
    'Runs the Packagist layer on its own, for any CI: checks everything first (credentials, composer.json,',
    'repository URL, that Packagist is reachable and does not already have the version at another commit),',
    'then calls update-package (token mode) or relies on the GitHub App, and waits until the p2 metadata',
    'lists the version with source.reference equal to the tag’s commit.',
    '',
    'Options:',
    '  --config <file>  options file (default: phpublish.config.json when present)',
    '  --json           print the outcome as JSON on stdout',
    '',
    'Environment: PACKAGIST_USERNAME, PACKAGIST_API_TOKEN (see docs/configuration.md).',
  ].join('\n'),
  options: { config: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: true,
  async run({ values, positionals }, io: CommandIo) {
    const tag = tagArgument(positionals, 'notify Packagist of');
    const options = await loadOptionsFile(io.cwd, values['config'] as string | undefined);
    const context = createReleaseContext({ cwd: io.cwd, env: io.env, options, logger: stderrLogger(io) });
    // The tag itself, not a branch or commit id spelled the same.
    const commit = await resolveCommit(`refs/tags/${tag}`, { cwd: io.cwd });
    if (!commit) throw new PhpublishError('TAG_NOT_FOUND', { tag });
    const { target } = await preflight(context, { release: { version: tag, commit }, attest: false });
    const outcome = await notifyPackagist(context, target, { version: tag, commit });
    if (values['json']) {
      io.stdout.write(
        `${JSON.stringify({ package: target.packageName, repositoryUrl: target.repositoryUrl, version: tag, commit, ...outcome }, null, 2)}\n`,
      );
    }
    return EXIT.ok;
  },
};
