import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PhpublishError } from '@phpublish/core';
import { loadOptionsFile } from '@phpublish/core/config';
import { git } from '@phpublish/core/git';
import type { HostPackages, PrepareInput, RedirectedRun, RedirectInput, RehearsalHost } from './host.js';
import { describePluginOverrides, pluginOverrides } from './plugin-overrides.js';

const PLUGIN = '@phpublish/changesets';

/**
 * changesets has no plugin API: a repository runs `changeset version` (merged as the "Version
 * Packages" pull request), then, in the release job, `changeset tag` (2.x) or `changeset git-tag`
 * (3.x) and phpublish-changesets as its publish step. The rehearsal does the same in the copy: the
 * version commit first (the commit the simulated job runs on), then changesets' own tag step with its
 * output saved, then `phpublish-changesets publish --output <that> --config <redirected options>`.
 */
export const changesetsHost: RehearsalHost = {
  name: 'changesets',
  tool: { package: '@changesets/cli', bin: 'changeset' },
  plugin: PLUGIN,
  takesVersion: false,

  async prepare({ copy, packages, env }: PrepareInput): Promise<string[]> {
    if (!existsSync(join(copy, '.changeset', 'config.json'))) {
      throw new PhpublishError('REHEARSE_HOST_CONFIG_UNSUPPORTED', {
        host: 'changesets',
        problem: 'the repository has no .changeset/config.json (run `changeset init`)',
      });
    }
    await node(packages.toolBin, ['version'], { cwd: copy, env });
    await git(['add', '-A'], { cwd: copy, env });
    const changed = await git(['status', '--porcelain'], { cwd: copy, env });
    if (changed !== '') await git(['commit', '-q', '-m', 'Version Packages'], { cwd: copy, env });
    return [
      changed === ''
        ? '`changeset version` found no changeset: the release is the version package.json already has'
        : '`changeset version` committed as the merged "Version Packages" pull request would be',
    ];
  },

  async redirect({ copy, work, packages, standIns, env }: RedirectInput): Promise<RedirectedRun> {
    // changesets' own tag step, with its output saved where phpublish-changesets reads it.
    const output = join(work, 'changesets-output.txt');
    if ((await majorVersion(packages.toolDir)) >= 3) {
      await node(packages.toolBin, ['git-tag'], { cwd: copy, env: { ...env, CHANGESETS_OUTPUT: output } });
    } else {
      await writeFile(output, await node(packages.toolBin, ['tag'], { cwd: copy, env }));
    }
    // The repository's own phpublish options, with the remote parts pointed at the stand-ins.
    const own = (await loadOptionsFile(copy)) as Record<string, Record<string, unknown> | undefined>;
    const overrides = pluginOverrides(standIns);
    const options = {
      ...own,
      packagist: { ...own['packagist'], ...overrides['packagist'] },
      attest: { ...own['attest'], ...overrides['attest'] },
    };
    const config = join(work, 'phpublish.rehearsal.json');
    await writeFile(config, JSON.stringify(options, null, 2));
    return {
      program: await publishProgram(packages),
      args: ['publish', '--output', output, '--config', config],
      overridden: [
        `phpublish options (your phpublish.config.json, if any, is read, not changed): ${describePluginOverrides(overrides)}`,
        "the tag is pushed to the rehearsal's bare remote (origin of the copy)",
        'changesets/action is not run: the rehearsal creates the GitHub release when the tag is pushed',
      ],
    };
  },
};

async function majorVersion(toolDir: string): Promise<number> {
  const manifest = JSON.parse(await readFile(join(toolDir, 'package.json'), 'utf8')) as { version: string };
  return Number(manifest.version.split('.')[0]);
}

/** The phpublish-changesets program beside the tool. */
async function publishProgram(packages: HostPackages): Promise<string> {
  const dir = join(packages.nodeModules, PLUGIN);
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  const bin = manifest.bin?.['phpublish-changesets'];
  if (!bin) throw new PhpublishError('REHEARSE_HOST_MISSING', { host: 'changesets', packages: [PLUGIN], where: dir });
  return join(dir, bin);
}

/** Runs a Node program of the tool in the copy; its stdout, or a coded error with what it said. */
function node(program: string, args: string[], options: { cwd: string; env: Record<string, string | undefined> }) {
  return new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [program, ...args], options, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      reject(
        new PhpublishError('REHEARSE_HOST_CONFIG_UNSUPPORTED', {
          host: 'changesets',
          problem: `\`changeset ${args.join(' ')}\` failed: ${`${stderr}${stdout}`.trim().split('\n').slice(-3).join(' ')}`,
        }),
      );
    }),
  );
}
