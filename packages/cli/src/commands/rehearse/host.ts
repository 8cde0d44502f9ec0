// What `phpublish rehearse --host <tool>` needs to know about one release tool. Each tool (release-it,
// semantic-release, changesets next) is one small object; rehearse-host.ts does everything else the
// same way for all of them (copy, stand-ins, environment, Composer, verify).
import type { Logger } from '@phpublish/core/log';

/** The local stand-ins a rehearsal releases against, as URLs a configuration can name. */
export interface StandInUrls {
  /** The rehearsal's bare repository, in place of the real remote. */
  remote: string;
  packagistUrl: string;
  fulcioUrl: string;
  rekorUrl: string;
  tsaUrl?: string;
  githubApiUrl: string;
  /** The public repository URL the sandbox Packagist knows the package by. */
  repositoryUrl: string;
  /**
   * How the plugin authenticates to the stand-in Packagist: a throwaway API token, or (`rehearse --oidc`)
   * only its OIDC token exchange, with no token in the tool's environment at all.
   */
  packagistCredential: 'token' | 'oidc';
}

/** The release tool and its phpublish plugin, found in a node_modules folder. */
export interface HostPackages {
  /** The node_modules folder that holds both; the temporary copy's node_modules links to it. */
  nodeModules: string;
  /** The tool's package folder (its real path). */
  toolDir: string;
  /** The tool's command-line program. */
  toolBin: string;
}

/** What a host's preparation of the copy gets (before the simulated release job starts). */
export interface PrepareInput {
  copy: string;
  packages: HostPackages;
  /** The rehearsal's own environment (git identity, PATH): no credentials. */
  env: Record<string, string | undefined>;
}

export interface RedirectInput {
  /** The temporary copy of the repository, where the tool runs. */
  copy: string;
  /** The rehearsal's own environment (git identity, PATH): no credentials. */
  env: Record<string, string | undefined>;
  /** A folder of the rehearsal outside the copy, for files the tool must not see as changes. */
  work: string;
  packages: HostPackages;
  standIns: StandInUrls;
  /** The version to release, when the rehearsal decides it (release-it); semantic-release decides its own. */
  version: string | undefined;
  logger: Logger;
}

/** How the tool runs in the copy: its arguments, and what the rehearsal changed to get there. */
export interface RedirectedRun {
  /** The Node program that releases, when it is not the tool's own (changesets: phpublish-changesets). */
  program?: string;
  args: string[];
  /** One sentence per setting the rehearsal overrode, printed so the user knows what differs from a real run. */
  overridden: string[];
}

export interface RehearsalHost {
  /** The name given to --host. */
  readonly name: string;
  /** The tool's npm package and the program of it that releases (`bin` in its package.json). */
  readonly tool: { readonly package: string; readonly bin: string };
  /** The phpublish plugin for that tool. */
  readonly plugin: string;
  /** Whether `--version` may choose the version (semantic-release computes it from the commits). */
  readonly takesVersion: boolean;
  /**
   * What happens before the release job, in the copy (changesets: the merged "Version Packages"
   * commit, which the job then runs on). Returns one sentence per step, printed like `overridden`.
   */
  prepare?(input: PrepareInput): Promise<string[]>;
  /**
   * Points every remote the tool and the plugin would reach at the stand-ins, without editing the
   * user's files (only the copy, or command-line options), and turns npm publishing off.
   */
  redirect(input: RedirectInput): Promise<RedirectedRun>;
}
