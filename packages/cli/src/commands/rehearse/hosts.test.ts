import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from '@phpublish/core/log';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostPackages, RedirectInput, StandInUrls } from './host.js';
import { findHostPackages } from './host-packages.js';
import { rehearsalHost } from './hosts.js';
import { releaseItHost } from './release-it-host.js';
import { semanticReleaseHost } from './semantic-release-host.js';

// How each host redirects a configuration, on the real tools' own configuration loaders (the CLI's
// dev dependencies), without running a release.
const CLI_DIR = fileURLToPath(new URL('../../../', import.meta.url));

const STAND_INS: StandInUrls = {
  remote: '/tmp/rehearsal/remote.git',
  packagistUrl: 'http://127.0.0.1:1001',
  fulcioUrl: 'http://127.0.0.1:1002',
  rekorUrl: 'http://127.0.0.1:1003',
  githubApiUrl: 'http://127.0.0.1:1004',
  repositoryUrl: 'https://github.com/acme/hello',
  packagistCredential: 'token',
};

let temp: TempDir;
let warnings: string[];

beforeEach(async () => {
  temp = await makeTempDir('phpublish-rehearse-redirect-');
  warnings = [];
});

afterEach(async () => {
  await temp.cleanup();
});

const logger: Logger = {
  info: () => {},
  success: () => {},
  error: () => {},
  warn: (message) => warnings.push(message),
};

async function redirectInput(packages: HostPackages): Promise<RedirectInput> {
  return { copy: temp.path, work: temp.path, packages, standIns: STAND_INS, version: 'v1.2.3', logger };
}

describe('when --host names a release tool', () => {
  it('knows release-it and semantic-release, takes none or nothing as no host, and refuses other names', () => {
    expect(rehearsalHost('release-it')).toBe(releaseItHost);
    expect(rehearsalHost('semantic-release')).toBe(semanticReleaseHost);
    expect(rehearsalHost('none')).toBeUndefined();
    expect(rehearsalHost(undefined)).toBeUndefined();
    expect(() => rehearsalHost('Release-It')).toThrow(/unknown --host "Release-It"/);
  });
});

describe('when release-it is configured in package.json', () => {
  it('overrides the plugin, the push remote, npm and the forge steps on the command line, and leaves the file alone', async () => {
    const manifest = {
      name: 'acme-hello',
      private: true,
      'release-it': {
        git: { pushRepo: 'https://x-access-token:ghs_notarealtoken0000@github.com/acme/hello.git' },
        gitlab: { release: true },
        plugins: { '@phpublish/release-it': { packagist: { url: 'https://packagist.org' } }, '@release-it/bumper': {} },
      },
    };
    await writeFile(join(temp.path, 'package.json'), JSON.stringify(manifest));
    const packages = await findHostPackages(releaseItHost, CLI_DIR);
    const { args, overridden } = await releaseItHost.redirect(await redirectInput(packages));

    expect(args).toEqual([
      '1.2.3',
      '--ci',
      '--no-npm',
      '--no-github.release',
      '--no-gitlab.release',
      '--git.pushRepo=/tmp/rehearsal/remote.git',
      '--plugins.@phpublish/release-it.packagist.mode=token',
      '--plugins.@phpublish/release-it.packagist.url=http://127.0.0.1:1001',
      '--plugins.@phpublish/release-it.packagist.repoUrl=http://127.0.0.1:1001',
      '--plugins.@phpublish/release-it.packagist.repositoryUrl=https://github.com/acme/hello',
      '--plugins.@phpublish/release-it.attest.fulcioUrl=http://127.0.0.1:1002',
      '--plugins.@phpublish/release-it.attest.rekorUrl=http://127.0.0.1:1003',
      '--plugins.@phpublish/release-it.attest.githubApiUrl=http://127.0.0.1:1004',
    ]);
    expect(overridden).toContain(
      "git.pushRepo → the rehearsal's bare remote (instead of the one your configuration names)",
    );
    // A token in the user's URL is never repeated.
    expect(JSON.stringify({ overridden, warnings })).not.toContain('ghs_notarealtoken');
    expect(overridden.some((line) => line.startsWith('gitlab.release: false'))).toBe(true);
    expect(overridden.some((line) => line.startsWith('github.release'))).toBe(false);
    expect(warnings).toEqual([
      'Run as configured, not redirected (they are your own code and commands): plugin @release-it/bumper.',
    ]);
    expect(JSON.parse(await readFile(join(temp.path, 'package.json'), 'utf8'))).toEqual(manifest);
  });

  it('adds the plugin when the configuration does not load it, and says so', async () => {
    await writeFile(join(temp.path, '.release-it.json'), JSON.stringify({ npm: false }));
    const packages = await findHostPackages(releaseItHost, CLI_DIR);
    const { args, overridden } = await releaseItHost.redirect(await redirectInput(packages));
    expect(args).toContain('--plugins.@phpublish/release-it.packagist.url=http://127.0.0.1:1001');
    expect(overridden[0]).toMatch(
      /^plugins\["@phpublish\/release-it"\] \(added: your configuration does not load it\)/,
    );
  });
});

describe('when release-it gives the plugin a namespace of its own', () => {
  it('refuses with REHEARSE_HOST_CONFIG_UNSUPPORTED: the options would not be where the rehearsal redirects them', async () => {
    const plugins = { '@phpublish/release-it': ['phpublish', { packagist: { url: 'https://packagist.org' } }] };
    await writeFile(join(temp.path, '.release-it.json'), JSON.stringify({ plugins }));
    const packages = await findHostPackages(releaseItHost, CLI_DIR);
    const error = await releaseItHost.redirect(await redirectInput(packages)).catch((e) => e);
    expect(error).toMatchObject({ code: 'REHEARSE_HOST_CONFIG_UNSUPPORTED' });
    expect(error.message).toContain('[namespace, options]');
  });
});

describe('when semantic-release is configured in package.json', () => {
  it('writes the redirected configuration as the copy’s .releaserc.json and takes "release" out of the copy’s package.json', async () => {
    const manifest = {
      name: 'acme-hello',
      private: true,
      release: {
        branches: ['main'],
        repositoryUrl: 'https://x-access-token:ghs_notarealtoken0000@github.com/acme/hello.git',
        plugins: [
          '@semantic-release/commit-analyzer',
          '@semantic-release/npm',
          ['@semantic-release/exec', { publishCmd: 'echo' }],
          ['@semantic-release/github', { assets: [] }],
          ['@phpublish/semantic-release', { packagist: { url: 'https://packagist.org', createIfMissing: true } }],
        ],
      },
    };
    await writeFile(join(temp.path, 'package.json'), JSON.stringify(manifest));
    const packages = await findHostPackages(semanticReleaseHost, CLI_DIR);
    const { args, overridden } = await semanticReleaseHost.redirect(await redirectInput(packages));

    expect(args).toEqual([]);
    const written = JSON.parse(await readFile(join(temp.path, '.releaserc.json'), 'utf8'));
    expect(written).toEqual({
      branches: ['main'],
      repositoryUrl: 'file:///tmp/rehearsal/remote.git',
      plugins: [
        '@semantic-release/commit-analyzer',
        ['@semantic-release/exec', { publishCmd: 'echo' }],
        [
          '@phpublish/semantic-release',
          {
            packagist: {
              url: 'http://127.0.0.1:1001',
              createIfMissing: true,
              mode: 'token',
              repoUrl: 'http://127.0.0.1:1001',
              repositoryUrl: 'https://github.com/acme/hello',
            },
            attest: {
              fulcioUrl: 'http://127.0.0.1:1002',
              rekorUrl: 'http://127.0.0.1:1003',
              githubApiUrl: 'http://127.0.0.1:1004',
            },
          },
        ],
      ],
    });
    const copyManifest = JSON.parse(await readFile(join(temp.path, 'package.json'), 'utf8'));
    expect(copyManifest).toEqual({ name: 'acme-hello', private: true });
    expect(overridden).toContain('@semantic-release/npm left out (npm publishing is always off in a rehearsal)');
    expect(JSON.stringify({ overridden, warnings, written })).not.toContain('ghs_notarealtoken');
    expect(overridden).toContain(
      "repositoryUrl → the rehearsal's bare remote (instead of the one your configuration names)",
    );
    expect(warnings).toEqual([
      'Run as configured, not redirected (the rehearsal cannot point them at the stand-ins): @semantic-release/exec.',
    ]);
  });

  it('removes from the copy every configuration semantic-release would find before the redirected one', async () => {
    const plugins = ['@semantic-release/commit-analyzer', '@phpublish/semantic-release'];
    await writeFile(join(temp.path, 'package.json'), JSON.stringify({ name: 'x', release: { plugins } }));
    await writeFile(join(temp.path, '.releaserc'), 'plugins: ["@semantic-release/github"]\n');
    await writeFile(join(temp.path, 'release.config.cjs'), 'module.exports = { plugins: [] };\n');
    const packages = await findHostPackages(semanticReleaseHost, CLI_DIR);
    await semanticReleaseHost.redirect(await redirectInput(packages));

    // What semantic-release's own loader now finds in the copy is the redirected configuration.
    const fromTool = createRequire(join(packages.toolDir, 'package.json')).resolve('cosmiconfig');
    const { cosmiconfig } = (await import(pathToFileURL(fromTool).href)) as typeof import('cosmiconfig');
    const found = await cosmiconfig('release').search(temp.path);
    expect(found?.filepath).toBe(join(await realpath(temp.path), '.releaserc.json'));
    expect(found?.config.plugins).toEqual([
      '@semantic-release/commit-analyzer',
      ['@phpublish/semantic-release', expect.objectContaining({ packagist: expect.any(Object) })],
    ]);
    // .releaserc comes before .releaserc.json in the search; release.config.cjs after it, so it stays unread.
    expect(existsSync(join(temp.path, '.releaserc'))).toBe(false);
  });

  it('refuses plugins that come from a shareable configuration, which it could not redirect', async () => {
    await writeFile(join(temp.path, '.releaserc.json'), JSON.stringify({ extends: 'some-shareable-config' }));
    const packages = await findHostPackages(semanticReleaseHost, CLI_DIR);
    const error = await semanticReleaseHost.redirect(await redirectInput(packages)).catch((e) => e);
    expect(error).toMatchObject({ code: 'REHEARSE_HOST_CONFIG_UNSUPPORTED' });
    // The copy is left as it was: nothing written.
    expect(JSON.parse(await readFile(join(temp.path, '.releaserc.json'), 'utf8'))).toEqual({
      extends: 'some-shareable-config',
    });
  });
});

describe('when the rehearsal is --oidc', () => {
  it('makes the plugin use the OIDC exchange only, whatever Packagist credential the configuration chose', async () => {
    const configured = { packagist: { mode: 'token', oidc: 'off' } };
    await writeFile(
      join(temp.path, '.releaserc.json'),
      JSON.stringify({ plugins: [['@phpublish/semantic-release', configured]] }),
    );
    const packages = await findHostPackages(semanticReleaseHost, CLI_DIR);
    const input = await redirectInput(packages);
    const { overridden } = await semanticReleaseHost.redirect({
      ...input,
      standIns: { ...STAND_INS, packagistCredential: 'oidc' },
    });
    const written = JSON.parse(await readFile(join(temp.path, '.releaserc.json'), 'utf8'));
    expect(written.plugins[0][1].packagist).toMatchObject({ mode: 'auto', oidc: 'required' });
    expect(overridden.join('\n')).toContain('OIDC token exchange only, no token in the environment');
  });

  it('passes packagist.oidc=required to release-it on the command line', async () => {
    await writeFile(
      join(temp.path, 'package.json'),
      JSON.stringify({ name: 'x', 'release-it': { plugins: { '@phpublish/release-it': {} } } }),
    );
    const packages = await findHostPackages(releaseItHost, CLI_DIR);
    const input = await redirectInput(packages);
    const { args } = await releaseItHost.redirect({
      ...input,
      standIns: { ...STAND_INS, packagistCredential: 'oidc' },
    });
    expect(args).toContain('--plugins.@phpublish/release-it.packagist.mode=auto');
    expect(args).toContain('--plugins.@phpublish/release-it.packagist.oidc=required');
    expect(args).not.toContain('--plugins.@phpublish/release-it.packagist.mode=token');
  });
});

describe('when the tool is not installed where the rehearsal looks', () => {
  it('throws REHEARSE_HOST_MISSING naming both packages and the folder', async () => {
    const empty = join(temp.path, 'empty');
    await mkdir(empty);
    const error = await findHostPackages(semanticReleaseHost, empty).catch((e) => e);
    expect(error).toMatchObject({ code: 'REHEARSE_HOST_MISSING' });
    expect(error.message).toContain('semantic-release and @phpublish/semantic-release');
    expect(existsSync(await realpath(empty))).toBe(true);
  });
});
