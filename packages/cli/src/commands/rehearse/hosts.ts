import { quoteValue } from '@phpublish/core/input';
import { UsageError } from '../../command-line.js';
import { changesetsHost } from './changesets-host.js';
import type { RehearsalHost } from './host.js';
import { releaseItHost } from './release-it-host.js';
import { semanticReleaseHost } from './semantic-release-host.js';

/** The release tools `--host` accepts; `none` is the CLI's own release (no tool). */
export const REHEARSAL_HOSTS: readonly RehearsalHost[] = [releaseItHost, semanticReleaseHost, changesetsHost];

/** The host named by --host, undefined for `none` or no --host; a usage error for any other name. */
export function rehearsalHost(name: string | undefined): RehearsalHost | undefined {
  if (name === undefined || name === 'none') return undefined;
  const host = REHEARSAL_HOSTS.find((candidate) => candidate.name === name);
  if (!host) {
    const names = ['none', ...REHEARSAL_HOSTS.map((candidate) => candidate.name)].join(', ');
    throw new UsageError(`unknown --host ${quoteValue(name)}: choose one of ${names}.`);
  }
  return host;
}
