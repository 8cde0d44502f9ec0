import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PhpublishError } from '@phpublish/core';
import type { RedirectedRun, RedirectInput, RehearsalHost } from './host.js';
import { describePluginOverrides, dottedEntries, pluginOverrides } from './plugin-overrides.js';

const PLUGIN = '@phpublish/release-it';

/** What the rehearsal reads of the configuration release-it resolves. */
interface ReleaseItOptions {
  plugins?: Record<string, unknown>;
  npm?: unknown;
  github?: { release?: boolean };
  gitlab?: { release?: boolean };
  git?: { pushRepo?: string };
  hooks?: Record<string, unknown>;
}

/**
 * release-it runs with the repository's own configuration, which it loads itself; the rehearsal
 * adds command-line options, which release-it (21) merges over the configuration:
 * `--plugins.@phpublish/release-it.<option>=<value>` for the plugin, `--no-npm`,
 * `--no-github.release`, `--no-gitlab.release` and `--git.pushRepo=<bare remote>`.
 */
export const releaseItHost: RehearsalHost = {
  name: 'release-it',
  tool: { package: 'release-it', bin: 'release-it' },
  plugin: PLUGIN,
  takesVersion: true,
  async redirect({ copy, packages, standIns, version, logger }: RedirectInput): Promise<RedirectedRun> {
    const options = await loadReleaseItOptions(packages.toolDir, copy);
    const pluginNames = Object.keys(options.plugins ?? {});
    const elsewhere = pluginNames.filter((name) => name !== PLUGIN && /phpublish/i.test(name));
    if (elsewhere.length > 0) {
      // A plugin named by path cannot be reached with a dotted command-line option: it would run
      // with the user's real Packagist and Sigstore settings.
      throw new PhpublishError('REHEARSE_HOST_CONFIG_UNSUPPORTED', {
        host: 'release-it',
        problem: `it loads phpublish as ${elsewhere.map((name) => `"${name}"`).join(', ')}; the rehearsal redirects plugins["${PLUGIN}"] only`,
      });
    }
    const asConfigured = [
      ...pluginNames.filter((name) => name !== PLUGIN).map((name) => `plugin ${name}`),
      ...Object.keys(options.hooks ?? {}).map((name) => `hook ${name}`),
    ];
    if (asConfigured.length > 0) {
      logger.warn(
        `Run as configured, not redirected (they are your own code and commands): ${asConfigured.join(', ')}.`,
      );
    }
    if (Array.isArray(options.plugins?.[PLUGIN])) {
      // `[namespace, options]` moves the options out of plugins["@phpublish/release-it"], where the
      // command-line options go: the plugin would run with the user's real settings.
      throw new PhpublishError('REHEARSE_HOST_CONFIG_UNSUPPORTED', {
        host: 'release-it',
        problem: `plugins["${PLUGIN}"] is a [namespace, options] pair; the rehearsal redirects plain options only`,
      });
    }
    const overrides = pluginOverrides(standIns);
    const overridden = [
      `plugins["${PLUGIN}"]${pluginNames.includes(PLUGIN) ? '' : ' (added: your configuration does not load it)'}: ${describePluginOverrides(overrides)}`,
      'npm: false (npm publishing is always off in a rehearsal)',
      // The user's URL is not repeated: it may carry a token.
      `git.pushRepo → the rehearsal's bare remote${options.git?.pushRepo ? ' (instead of the one your configuration names)' : ''}`,
    ];
    for (const forge of ['github', 'gitlab'] as const) {
      if (options[forge]?.release) {
        overridden.push(
          `${forge}.release: false (the rehearsal creates the release in the local GitHub when the tag is pushed)`,
        );
      }
    }
    return {
      args: [
        ...(version ? [version.replace(/^v/, '')] : []),
        '--ci',
        '--no-npm',
        '--no-github.release',
        '--no-gitlab.release',
        `--git.pushRepo=${standIns.remote}`,
        ...dottedEntries(overrides).map(([name, value]) => `--plugins.${PLUGIN}.${name}=${value}`),
      ],
      overridden,
    };
  },
};

/** The configuration release-it resolves in `dir` (its files, package.json, `extends`), by release-it's own loader. */
async function loadReleaseItOptions(toolDir: string, dir: string): Promise<ReleaseItOptions> {
  const entry = createRequire(join(toolDir, 'package.json')).resolve('release-it');
  const { Config } = (await import(pathToFileURL(entry).href)) as {
    Config: new (options: Record<string, unknown>) => { init(): Promise<void>; options: ReleaseItOptions };
  };
  const config = new Config({ configDir: dir });
  try {
    await config.init();
  } catch (error) {
    throw new PhpublishError(
      'REHEARSE_HOST_CONFIG_UNSUPPORTED',
      { host: 'release-it', problem: `release-it cannot load it (${(error as Error).message})` },
      { cause: error },
    );
  }
  return config.options;
}
