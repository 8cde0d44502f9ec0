import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, realpath, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PhpublishError } from '@phpublish/core';
import type { HostPackages, RehearsalHost } from './host.js';

/**
 * Finds the release tool and its phpublish plugin the way Node would from `from`: in the nearest
 * node_modules folder at or above it that holds both. Throws REHEARSE_HOST_MISSING (saying what to
 * install) when there is none.
 */
export async function findHostPackages(host: RehearsalHost, from: string): Promise<HostPackages> {
  const holdsBoth = (nodeModules: string) =>
    [host.tool.package, host.plugin].every((name) => existsSync(join(nodeModules, name, 'package.json')));
  for (let dir = from; ; dir = dirname(dir)) {
    const nodeModules = join(dir, 'node_modules');
    if (holdsBoth(nodeModules)) {
      const toolDir = await realpath(join(nodeModules, host.tool.package));
      const manifest = JSON.parse(await readFile(join(toolDir, 'package.json'), 'utf8')) as {
        bin?: string | Record<string, string>;
      };
      const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[host.tool.bin];
      if (bin) return { nodeModules, toolDir, toolBin: join(toolDir, bin) };
    }
    if (dirname(dir) === dir) break;
  }
  throw new PhpublishError('REHEARSE_HOST_MISSING', {
    host: host.name,
    packages: [host.tool.package, host.plugin],
    where: from,
  });
}

/**
 * The temporary copy has no node_modules after `git clone`: it gets a link to the one the tool was
 * found in, so that the tool loads the plugin (and the user's other plugins) from the copy, as it
 * would in the repository.
 */
export async function linkNodeModules(copy: string, packages: HostPackages): Promise<void> {
  const link = join(copy, 'node_modules');
  if (!existsSync(link)) await symlink(packages.nodeModules, link, 'dir');
  await ignoreInCopy(copy, ['/node_modules']);
}

/**
 * Makes git ignore what the rehearsal adds to the copy (in the copy's .git/info/exclude, never a
 * .gitignore), so that the tool's clean-working-tree checks see what they would in the repository.
 */
export async function ignoreInCopy(copy: string, patterns: string[]): Promise<void> {
  const exclude = join(copy, '.git', 'info', 'exclude');
  await mkdir(dirname(exclude), { recursive: true });
  const current = existsSync(exclude) ? await readFile(exclude, 'utf8') : '';
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  await appendFile(exclude, `${separator}${patterns.join('\n')}\n`);
}
