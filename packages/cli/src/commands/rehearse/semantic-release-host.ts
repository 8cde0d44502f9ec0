import { readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PhpublishError } from '@phpublish/core';
import type { RedirectedRun, RedirectInput, RehearsalHost } from './host.js';
import { ignoreInCopy } from './host-packages.js';
import { describePluginOverrides, pluginOverrides } from './plugin-overrides.js';

const PLUGIN = '@phpublish/semantic-release';
/** semantic-release's plugins when a configuration names none. */
const DEFAULT_PLUGINS = [
  '@semantic-release/commit-analyzer',
  '@semantic-release/release-notes-generator',
  '@semantic-release/npm',
  '@semantic-release/github',
];
/** Plugins the rehearsal leaves out, and why. */
const LEFT_OUT: Record<string, string> = {
  '@semantic-release/npm': 'npm publishing is always off in a rehearsal',
  '@semantic-release/github': 'the rehearsal creates the release in the local GitHub when the tag is pushed',
  '@semantic-release/gitlab': 'the rehearsal creates the release in the local GitHub when the tag is pushed',
};
const REDIRECTED_CONFIG = '.releaserc.json';
/** semantic-release's own plugins that work on the repository only (their pushes go to repositoryUrl, the bare remote). */
const SEMANTIC_RELEASE_LOCAL = new Set([
  '@semantic-release/commit-analyzer',
  '@semantic-release/release-notes-generator',
  '@semantic-release/changelog',
  '@semantic-release/git',
]);

type PluginEntry = string | [string, Record<string, unknown>?];
type SemanticReleaseConfig = Record<string, unknown> & { plugins?: PluginEntry[]; extends?: unknown };

/**
 * semantic-release takes plugin options from its configuration only, so the rehearsal loads the
 * repository's configuration the way semantic-release does (cosmiconfig, "release"), writes the
 * redirected copy as the temporary clone's .releaserc.json and removes the other configuration file
 * from the clone (never from the repository).
 */
export const semanticReleaseHost: RehearsalHost = {
  name: 'semantic-release',
  tool: { package: 'semantic-release', bin: 'semantic-release' },
  plugin: PLUGIN,
  takesVersion: false,
  async redirect({ copy, packages, standIns, logger }: RedirectInput): Promise<RedirectedRun> {
    const found = await loadSemanticReleaseConfig(packages.toolDir, copy);
    const config: SemanticReleaseConfig = { ...(found?.config ?? {}) };
    if (config.plugins === undefined && config.extends !== undefined) {
      throw new PhpublishError('REHEARSE_HOST_CONFIG_UNSUPPORTED', {
        host: 'semantic-release',
        problem:
          'its plugins come from a shareable configuration (`extends`); list them in the repository’s own `plugins`',
      });
    }
    const overrides = pluginOverrides(standIns);
    const overridden: string[] = [];
    let hasPlugin = false;
    const plugins: PluginEntry[] = [];
    for (const entry of config.plugins ?? DEFAULT_PLUGINS) {
      const [name, options = {}] = typeof entry === 'string' ? [entry] : entry;
      const why = LEFT_OUT[name];
      if (why) {
        overridden.push(`${name} left out (${why})`);
      } else if (name === PLUGIN) {
        hasPlugin = true;
        plugins.push([name, withOverrides(options, overrides)]);
        overridden.push(`${PLUGIN}: ${describePluginOverrides(overrides)}`);
      } else if (/phpublish/i.test(name)) {
        throw new PhpublishError('REHEARSE_HOST_CONFIG_UNSUPPORTED', {
          host: 'semantic-release',
          problem: `it loads phpublish as "${name}"; the rehearsal redirects "${PLUGIN}" only`,
        });
      } else {
        plugins.push(entry);
      }
    }
    const asConfigured = plugins
      .map((entry) => (typeof entry === 'string' ? entry : entry[0]))
      .filter((name) => name !== PLUGIN && !SEMANTIC_RELEASE_LOCAL.has(name));
    if (asConfigured.length > 0) {
      logger.warn(
        `Run as configured, not redirected (the rehearsal cannot point them at the stand-ins): ${asConfigured.join(', ')}.`,
      );
    }
    if (!hasPlugin) {
      plugins.push([PLUGIN, overrides]);
      overridden.push(`${PLUGIN} added (your configuration does not load it): ${describePluginOverrides(overrides)}`);
    }
    overridden.push(
      // The user's URL is not repeated: it may carry a token.
      `repositoryUrl → the rehearsal's bare remote${config.repositoryUrl ? ' (instead of the one your configuration names)' : ''}`,
    );

    const redirected = { ...config, repositoryUrl: `file://${standIns.remote}`, plugins };
    await useOnlyConfiguration(packages.toolDir, copy, redirected);
    overridden.push(
      `configuration: ${found ? `${basename(found.filepath)} copied` : 'none found, semantic-release’s defaults used'} as the clone's ${REDIRECTED_CONFIG}`,
    );
    return { args: [], overridden };
  },
};

/**
 * Makes `config` the one semantic-release finds in the copy: written as .releaserc.json, every
 * configuration it would find first removed from the copy (a file, or package.json's "release").
 */
async function useOnlyConfiguration(toolDir: string, copy: string, config: SemanticReleaseConfig): Promise<void> {
  const target = join(copy, REDIRECTED_CONFIG);
  await writeFile(target, `${JSON.stringify(config, null, 2)}\n`);
  await ignoreInCopy(copy, [`/${REDIRECTED_CONFIG}`]);
  // Each pass removes the configuration found first; a repository holds a handful at most.
  for (let pass = 0; pass < 20; pass++) {
    const found = await loadSemanticReleaseConfig(toolDir, copy);
    if (!found || (await realpath(found.filepath)) === (await realpath(target))) return;
    if (basename(found.filepath) === 'package.json') {
      const manifest = JSON.parse(await readFile(found.filepath, 'utf8')) as Record<string, unknown>;
      delete manifest['release'];
      await writeFile(found.filepath, `${JSON.stringify(manifest, null, 2)}\n`);
    } else {
      await rm(found.filepath, { force: true });
    }
  }
  throw new PhpublishError('REHEARSE_HOST_CONFIG_UNSUPPORTED', {
    host: 'semantic-release',
    problem: `it keeps finding another configuration before the rehearsal's ${REDIRECTED_CONFIG}`,
  });
}

function withOverrides(
  options: Record<string, unknown>,
  overrides: Record<string, Record<string, string>>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...options };
  for (const [group, values] of Object.entries(overrides)) {
    merged[group] = { ...(options[group] as Record<string, unknown> | undefined), ...values };
  }
  return merged;
}

/** The configuration semantic-release would find in `dir`, with cosmiconfig from semantic-release's own dependencies. */
async function loadSemanticReleaseConfig(
  toolDir: string,
  dir: string,
): Promise<{ config: SemanticReleaseConfig; filepath: string } | undefined> {
  const entry = createRequire(join(toolDir, 'package.json')).resolve('cosmiconfig');
  const { cosmiconfig } = (await import(pathToFileURL(entry).href)) as {
    cosmiconfig: (name: string) => {
      search(dir: string): Promise<{ config: SemanticReleaseConfig; filepath: string } | null>;
    };
  };
  try {
    return (await cosmiconfig('release').search(dir)) ?? undefined;
  } catch (error) {
    throw new PhpublishError(
      'REHEARSE_HOST_CONFIG_UNSUPPORTED',
      { host: 'semantic-release', problem: `it cannot be loaded (${(error as Error).message})` },
      { cause: error },
    );
  }
}
