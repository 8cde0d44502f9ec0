import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentDigestOfRef } from '@phpublish/core/archive';
import { git } from '@phpublish/core/git';
import type { Logger } from '@phpublish/core/log';
import { generateThrowawayKey } from '@phpublish/core/pgp';
import type { AttestationSandbox, SandboxPackagist } from '@phpublish/sandbox';
import { createReleasesOnPush } from './forge-releases.js';
import type { RehearsalHost } from './host.js';
import { findHostPackages, linkNodeModules } from './host-packages.js';
import { runTool } from './run-tool.js';

export interface HostReleaseInput {
  host: RehearsalHost;
  /** Where to look for the tool and the plugin: the repository, or the CLI's own folder for --sample. */
  packagesFrom: string;
  work: string;
  /** The temporary copy of the repository, whose origin is `remote`. */
  repo: string;
  remote: string;
  env: Record<string, string | undefined>;
  /** GitHub repository name (`vendor/name`) the stand-ins know the package by. */
  repository: string;
  repositoryUrl: string;
  packagist: SandboxPackagist;
  /** The throwaway Packagist account whose token the tool gets; undefined with `--oidc` (no token at all). */
  packagistAccount: { username: string; safeToken: string } | undefined;
  services: AttestationSandbox;
  version: string | undefined;
  logger: Logger;
  /** The tool's own output (its log), passed on as it comes. */
  output: { write(text: string): void };
}

export interface HostRelease {
  /** The tool's exit code; the rest is meaningful only when it is 0 and `tag` is set. */
  exitCode: number;
  /** The tag the tool pushed, undefined when it released nothing. */
  tag: string | undefined;
  commit: string;
  /** The ref of the simulated release job (the branch the tool released from). */
  jobRef: string;
  publicKey: string;
  overridden: string[];
  /** The posture table the plugin wrote to $GITHUB_STEP_SUMMARY. */
  summary: string;
  zip: { name: string; sha256: string } | undefined;
  contentDigest: string | undefined;
  /** The pushed tag object as git stores it (with its signature), for checking it with GnuPG. */
  tagObject: string | undefined;
}

/**
 * Releases the copy with the real release tool and its phpublish plugin, in the environment of a
 * GitHub Actions release job on a push to the branch, with every remote pointed at the stand-ins.
 */
export async function releaseWithHost(input: HostReleaseInput): Promise<HostRelease> {
  const { host, repo, remote, env, services, logger } = input;
  const packages = await findHostPackages(host, input.packagesFrom);
  await linkNodeModules(repo, packages);

  const prepared = (await host.prepare?.({ copy: repo, packages, env })) ?? [];
  // The branch is on the rehearsal's remote with its upstream set, as in a CI checkout.
  const branch = await currentBranch(repo, env);
  await git(['push', '-q', '-u', 'origin', branch], { cwd: repo, env });
  // The remote's default branch is that branch too (semantic-release fetches the remote's HEAD).
  await git(['symbolic-ref', 'HEAD', `refs/heads/${branch}`], { cwd: remote, env });
  const commit = await git(['rev-parse', 'HEAD'], { cwd: repo, env });
  const tagsBefore = new Set((await git(['tag', '--list'], { cwd: repo, env })).split('\n').filter(Boolean));

  const redirected = await host.redirect({
    copy: repo,
    env,
    work: input.work,
    packages,
    version: input.version,
    logger,
    standIns: {
      remote,
      packagistUrl: input.packagist.url,
      fulcioUrl: services.sigstore.fulcioUrl,
      rekorUrl: services.sigstore.rekorUrl,
      ...(services.sigstore.tsaUrl ? { tsaUrl: services.sigstore.tsaUrl } : {}),
      githubApiUrl: services.github.url,
      repositoryUrl: input.repositoryUrl,
      packagistCredential: input.packagistAccount ? 'token' : 'oidc',
    },
  });
  const { args } = redirected;
  const overridden = [...prepared, ...redirected.overridden];
  const toolVersion = (
    JSON.parse(await readFile(join(packages.toolDir, 'package.json'), 'utf8')) as { version: string }
  ).version;
  logger.info(
    `Releasing with ${host.name} ${toolVersion} and the repository's ${host.name} configuration; the rehearsal overrode:\n${overridden.map((line) => `  - ${line}`).join('\n')}`,
  );

  const forge = await createReleasesOnPush({
    remote,
    work: input.work,
    nodePath: process.execPath,
    createRelease: (tag) => services.github.createRelease(input.repository, tag),
  });
  const jobRef = `refs/heads/${branch}`;
  const job = services.githubIssuer.gitHubActionsJob({
    repository: input.repository,
    ref: jobRef,
    eventName: 'push',
    sha: commit,
  });
  const key = await generateThrowawayKey({ name: 'phpublish rehearsal', email: 'rehearsal@phpublish.invalid' });
  const home = join(input.work, 'home');
  await mkdir(home, { recursive: true });
  const summaryFile = join(input.work, 'step-summary.md');
  let exitCode: number;
  try {
    exitCode = await runTool({
      program: redirected.program ?? packages.toolBin,
      args,
      cwd: repo,
      // Built from nothing but the rehearsal's own values: none of the user's real tokens reaches the tool.
      env: {
        ...env,
        HOME: home,
        ...job.env,
        GITHUB_API_URL: services.github.url,
        GITHUB_TOKEN: services.github.issueToken(input.repository, { contents: 'write', attestations: 'write' }),
        GITHUB_STEP_SUMMARY: summaryFile,
        ...(input.packagistAccount
          ? {
              PACKAGIST_USERNAME: input.packagistAccount.username,
              PACKAGIST_API_TOKEN: input.packagistAccount.safeToken,
            }
          : {}),
        PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
      },
      output: input.output,
    });
  } finally {
    await forge.close();
  }
  const tagsOnRemote = new Set((await git(['tag', '--list'], { cwd: remote, env })).split('\n'));
  const tag = forge.pushedTags.filter((pushed) => !tagsBefore.has(pushed) && tagsOnRemote.has(pushed)).at(-1);
  const summary = existsSync(summaryFile) ? await readFile(summaryFile, 'utf8') : '';
  const release: HostRelease = {
    exitCode,
    tag,
    commit,
    jobRef,
    publicKey: key.armoredPublicKey,
    overridden,
    summary,
    zip: undefined,
    contentDigest: undefined,
    tagObject: undefined,
  };
  if (exitCode !== 0 || !tag) return release;

  release.commit = await git(['rev-parse', `${tag}^{commit}`], { cwd: repo, env });
  const zip = services.github.releaseAssets(input.repository, tag).find((asset) => asset.name.endsWith('.zip'));
  if (zip) release.zip = { name: zip.name, sha256: createHash('sha256').update(zip.content).digest('hex') };
  release.contentDigest = (await contentDigestOfRef({ cwd: remote, env, ref: tag })).contentDigest;
  if ((await git(['cat-file', '-t', tag], { cwd: remote, env })) === 'tag') {
    release.tagObject = `${await git(['cat-file', 'tag', tag], { cwd: remote, env })}\n`;
  }
  return release;
}

/** The checked-out branch of the copy; a detached checkout gets a branch named `main`. */
async function currentBranch(repo: string, env: Record<string, string | undefined>): Promise<string> {
  try {
    return await git(['symbolic-ref', '--short', 'HEAD'], { cwd: repo, env });
  } catch {
    await git(['switch', '-q', '-c', 'main'], { cwd: repo, env });
    return 'main';
  }
}
