import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPhpublishError, PhpublishAggregateError, PhpublishError } from '@phpublish/core';
import { isStableVersion, readComposerJson, releaseTagsNewestFirst } from '@phpublish/core/composer';
import { git } from '@phpublish/core/git';
import { generateThrowawayKey } from '@phpublish/core/pgp';
import { postureRows, postureText, type ReleasePosture, ReleaseSession } from '@phpublish/core/release';
import type { AttestationSandbox, SandboxPackagist, SandboxPrivatePackagist } from '@phpublish/sandbox';
import type { Command } from '../command.js';
import { UsageError } from '../command-line.js';
import { EXIT } from '../exit-codes.js';
import { type CommandIo, stderrLogger, table } from '../io.js';
import { fetchWithComposer } from './rehearse/composer-fetch.js';
import type { RehearsalHost } from './rehearse/host.js';
import { REHEARSAL_HOSTS, rehearsalHost } from './rehearse/hosts.js';
import { releaseWithHost } from './rehearse/release-with-host.js';
import { type RehearsalStep, RehearsalSteps } from './rehearse/steps.js';
import { verifyCommand } from './verify.js';

/** The CLI's own folder: --sample --host finds the release tool and its plugin from here. */
const CLI_DIR = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE_DIR = new URL('../../sample/', import.meta.url);
/** A release tool's configuration for the sample, one folder per host. */
const SAMPLE_HOSTS_DIR = new URL('../../sample-hosts/', import.meta.url);
/** A fixed identity for the rehearsal's own commits and tags. */
const REHEARSAL_GIT_ENV = {
  GIT_AUTHOR_NAME: 'phpublish rehearsal',
  GIT_AUTHOR_EMAIL: 'rehearsal@phpublish.invalid',
  GIT_COMMITTER_NAME: 'phpublish rehearsal',
  GIT_COMMITTER_EMAIL: 'rehearsal@phpublish.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** The workflow of the rehearsal's simulated release job (the sandbox issuer's default). */
const REHEARSAL_WORKFLOW = '.github/workflows/release.yml';
/** The throwaway organisation on the local Private Packagist (`--oidc private-packagist`). */
const REHEARSAL_ORGANIZATION = 'rehearsal-org';

/**
 * The local stand-ins, loaded by rehearse alone: @phpublish/sandbox is an optional peer of the CLI,
 * so that installing phpublish for real releases brings no stand-in code.
 */
async function loadSandbox(): Promise<typeof import('@phpublish/sandbox')> {
  try {
    return await import('@phpublish/sandbox');
  } catch (error) {
    const missing =
      (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
      String((error as Error).message).includes('@phpublish/sandbox');
    if (missing) throw new PhpublishError('REHEARSE_SANDBOX_MISSING', undefined, { cause: error });
    throw error;
  }
}

export interface RehearsalResult {
  /** Every step passed and the posture is as asked: the exit code is 0. */
  ok: boolean;
  package: string;
  /** Undefined only when a release tool computes the version and released nothing. */
  version: string | undefined;
  commit: string;
  /** Each step and how it went; a failed one names its error code. */
  steps: RehearsalStep[];
  /** Undefined when the release itself failed (the steps say why). */
  posture?: ReleasePosture;
  zip?: { name: string; sha256: string };
  contentDigest?: string;
  /** The files of the dist Composer fetched from the local Packagist. */
  installedFiles?: string[];
  /** The report of `phpublish verify` for the rehearsed version. */
  verify?: unknown;
}

/** The result of `rehearse --host <tool>`: the plugin's posture is in the job summary it wrote. */
export interface HostRehearsalResult extends Omit<RehearsalResult, 'posture'> {
  host: string;
  /** What the rehearsal changed in the tool's configuration to release against the stand-ins. */
  overridden: string[];
  /** The posture table the plugin wrote to $GITHUB_STEP_SUMMARY (Markdown). */
  summary: string;
  /** The throwaway key's public half and the pushed tag object, to check the signature with any OpenPGP tool. */
  publicKey?: string;
  tagObject?: string;
}

const HOST_NAMES = ['none', ...REHEARSAL_HOSTS.map((host) => host.name)].join('|');

export const rehearseCommand: Command = {
  usage: `phpublish rehearse [--sample] [--host ${HOST_NAMES}] [--oidc [private-packagist]] [--version <tag>] [--json]`,
  help: [
    'Copies the repository (or, with --sample, a bundled sample package) into a temporary folder and',
    'releases it there through every layer, against local stand-ins on 127.0.0.1: a throwaway OpenPGP',
    'key signs the tag, which is pushed to a local bare remote; the reproducible zip is attested with a',
    'GitHub-Actions-shaped identity from a local OIDC issuer, Fulcio, Rekor and timestamp authority, and',
    'stored in a local GitHub API; a local Packagist is notified with a throwaway token and must serve the',
    'version at the tagged commit; Composer installs it from there. Your repository, its remote and every',
    'real service are left untouched; everything is removed afterwards.',
    '',
    'With --host release-it or --host semantic-release, the real tool releases the copy with the',
    "repository's own configuration and the phpublish plugin, both found in the repository's",
    'node_modules (for --sample, beside the CLI). The rehearsal overrides only what reaches a remote, on',
    "the command line or in the copy, and lists what it overrode: the plugin's Packagist, Sigstore and",
    "GitHub API addresses, the push remote, npm publishing (always off) and the tool's GitHub/GitLab",
    'release step (off; the rehearsal creates the release in the local GitHub when the tag is pushed).',
    '',
    "With --oidc, the local Packagist offers the OIDC token exchange (docs/oidc.md) with the rehearsal's",
    'release workflow registered as the trusted publisher, and the release gets no Packagist token at all:',
    "Packagist is notified with a short-lived credential exchanged for the job's ID token",
    '(packagist.oidc: required), and the posture must say so. Works with every --host.',
    '',
    'With --oidc private-packagist, the release goes to a local Private Packagist instead',
    '(packagist.mode: private-packagist, docs/private-packagist.md): the rehearsal registers its release',
    "workflow as the trusted publisher of the package in a throwaway organisation, the job's ID token is",
    'exchanged for a 15-minute key and secret, the dist zip is uploaded as the artifact with signed',
    "requests, and Composer fetches that very zip from the organisation's repository. No token or secret",
    'is in the environment; the posture must say short-lived OIDC. Without --host only.',
    '',
    'Options:',
    '  --sample          rehearse the bundled sample package instead of the repository in the current folder',
    `  --host <tool>     the release tool that releases: ${HOST_NAMES} (default: none, phpublish's own release)`,
    '  --oidc            notify Packagist through its OIDC token exchange only (no PACKAGIST_API_TOKEN)',
    '  --oidc private-packagist',
    '                    publish to a local Private Packagist with trusted publishing (no key or secret)',
    '  --version <tag>   the tag to rehearse (default: v1.0.0, or the next patch after the latest tag);',
    '                    with semantic-release, the tool computes the version from the commits',
    '  --json            print the result as JSON on stdout',
  ].join('\n'),
  options: {
    sample: { type: 'boolean' },
    host: { type: 'string' },
    oidc: { type: 'boolean' },
    version: { type: 'string' },
    json: { type: 'boolean' },
  },
  // `--oidc private-packagist`: the registry whose trusted publishing is rehearsed.
  allowPositionals: true,
  async run({ values, positionals }, io: CommandIo) {
    const host = rehearsalHost(values['host'] as string | undefined);
    if (host && !host.takesVersion && values['version'] !== undefined) {
      throw new UsageError(`--version cannot be used with --host ${host.name}: it computes the version itself.`);
    }
    const registry = oidcRegistry(Boolean(values['oidc']), positionals);
    if (host && registry === 'private-packagist') {
      throw new UsageError(
        "--oidc private-packagist rehearses phpublish's own release: it cannot be used with --host.",
      );
    }
    const logger = stderrLogger(io);
    const { startAttestationSandbox, startSandboxPackagist, startSandboxPrivatePackagist } = await loadSandbox();
    const oidc = registry === 'packagist';
    const work = await mkdtemp(join(tmpdir(), 'phpublish-rehearse-'));
    // The issuer of the rehearsal's CI job is the one the local Packagist's OIDC exchange trusts.
    const services = await startAttestationSandbox();
    const packagist = await startSandboxPackagist(
      oidc ? { offerOidcExchange: { issuers: [services.githubIssuer] } } : {},
    ).catch(async (error: unknown) => {
      await services.close();
      throw error;
    });
    let privatePackagist: Rehearsal['privatePackagist'];
    try {
      if (registry === 'private-packagist') {
        // Its OIDC exchange checks the job's ID token against the same issuer's JWKS.
        const sandbox = await startSandboxPrivatePackagist({ githubIssuer: services.githubIssuer });
        privatePackagist = { sandbox, organization: REHEARSAL_ORGANIZATION };
      }
      const repo = join(work, 'repo');
      const remote = join(work, 'remote.git');
      const env = gitEnv(io);
      const steps = new RehearsalSteps(io.stderr);
      const copy = await steps.run(
        'copy',
        () =>
          prepareCopy({
            from: values['sample'] ? undefined : io.cwd,
            host,
            work,
            repo,
            remote,
            env,
            version: values['version'] as string | undefined,
          }),
        ({ name, head }) => `${name} at ${head.slice(0, 12)}, with a local bare remote`,
      );
      if (!copy) {
        if (values['json']) io.stdout.write(`${JSON.stringify({ ok: false, steps: steps.list }, null, 2)}\n`);
        else io.stdout.write(`\n${steps.text()}\n`);
        return EXIT.failed;
      }
      const { version, name, head } = copy;
      const repositoryUrl = `https://github.com/${name}`;
      logger.info(
        `Rehearsing ${name} ${version ?? '(the version semantic-release computes)'} at ${head.slice(0, 12)} against local stand-ins${host ? ` with ${host.name}` : ''}.`,
      );

      const account = packagist.addUser({ username: 'rehearsal' });
      packagist.addRemote(repositoryUrl, remote);
      packagist.addPackage({ name, repositoryUrl, maintainers: [account.username] });
      services.github.addRepository(name);
      if (privatePackagist) {
        const [owner = name, repository = name] = name.split('/');
        const workflow = REHEARSAL_WORKFLOW.slice(REHEARSAL_WORKFLOW.lastIndexOf('/') + 1);
        privatePackagist.sandbox.addTrustedPublisher(privatePackagist.organization, {
          packageName: name,
          owner,
          repository,
          workflow,
        });
        logger.info(
          `The local Private Packagist's organisation ${privatePackagist.organization} trusts ${name}'s ${workflow} to publish ${name}. The release gets no key, secret or token.`,
        );
      }
      if (oidc) {
        // The rehearsal's release job (the verify policy below trusts the same workflow).
        packagist.addTrustedPublisher({ package: name, repository: name, workflow: REHEARSAL_WORKFLOW });
        logger.info(
          `The local Packagist offers the OIDC token exchange; trusted publisher of ${name}: ${name}, ${REHEARSAL_WORKFLOW}. The release gets no Packagist token.`,
        );
      }

      const rehearsal: Rehearsal = {
        io,
        logger,
        work,
        repo,
        remote,
        env,
        name,
        repositoryUrl,
        head,
        version,
        packagist,
        account,
        oidc,
        services,
        sample: Boolean(values['sample']),
        json: Boolean(values['json']),
        steps,
        privatePackagist,
        async consume(tag, publicKey, identityRef, zip) {
          // Where consumers get the package: the organisation's repository on Private Packagist.
          const composerRepository = privatePackagist
            ? privatePackagist.sandbox.repositoryUrl(privatePackagist.organization)
            : packagist.url;
          // What a consumer's Composer does: the version from the local Packagist, its dist, the checksum.
          const fetched = await steps.run(
            'Composer fetch',
            () =>
              fetchWithComposer({
                repositoryUrl: composerRepository,
                packageName: name,
                version: tag,
                workDir: join(work, 'composer'),
                path: io.env['PATH'],
              }),
            ({ files }) =>
              `${tag} from the local ${privatePackagist ? 'Private ' : ''}Packagist, dist checksum checked (${files.length} files)`,
          );
          if (fetched) {
            logger.success(
              `Composer fetched ${name} ${tag} from ${composerRepository} (${fetched.files.length} files).`,
            );
          }
          if (privatePackagist) {
            return {
              installedFiles: fetched?.files,
              verification: checkArtifact(steps, privatePackagist, name, tag, zip),
            };
          }
          // The consumer's side: verify the whole chain of what was just published, as `phpublish verify` does.
          const verification = await verifyRehearsal({
            io,
            work,
            remote,
            services,
            name,
            publicKey,
            identityRef,
            packagist: composerRepository,
            version: tag,
          });
          if (verification.ok) {
            logger.success(`phpublish verify ${name} ${tag}: every check passed.`);
            steps.pass('phpublish verify', describeVerify(verification.report));
          } else {
            logger.error(`phpublish verify ${name} ${tag} failed:\n${verification.output}`);
            steps.fail('phpublish verify', describeVerify(verification.report), verification.code);
          }
          return { installedFiles: fetched?.files, verification };
        },
      };
      return host ? await rehearseWithHost(rehearsal, host) : await rehearseWithSession(rehearsal);
    } finally {
      await privatePackagist?.sandbox.close();
      await services.close();
      await packagist.close();
      await rm(work, { recursive: true, force: true });
    }
  },
};

/** A prepared rehearsal: the copy with its bare remote, the stand-ins that know the package, and the consumer's checks. */
interface Rehearsal {
  io: CommandIo;
  logger: ReturnType<typeof stderrLogger>;
  work: string;
  /** The temporary copy of the repository (or the sample), whose origin is `remote`. */
  repo: string;
  remote: string;
  env: Record<string, string | undefined>;
  /** The Composer package name, also the GitHub repository name the stand-ins know it by. */
  name: string;
  repositoryUrl: string;
  head: string;
  /** The tag to release; undefined when the host computes it. */
  version: string | undefined;
  packagist: SandboxPackagist;
  account: { username: string; safeToken: string };
  /** `--oidc`: Packagist through its OIDC token exchange only, no token in the release's environment. */
  oidc: boolean;
  /** `--oidc private-packagist`: the release goes to this Private Packagist organisation, with trusted publishing. */
  privatePackagist: { sandbox: SandboxPrivatePackagist; organization: string } | undefined;
  services: AttestationSandbox;
  sample: boolean;
  json: boolean;
  /** The steps so far; a failed one does not stop the report. */
  steps: RehearsalSteps;
  /**
   * Composer fetches `tag` from the local Packagist and `phpublish verify` checks it (two steps); on
   * Private Packagist, the served artifact is compared with the released `zip` instead of verify.
   */
  consume(
    tag: string,
    publicKey: string,
    identityRef: string,
    zip?: { sha256: string },
  ): Promise<{ installedFiles: string[] | undefined; verification: { ok: boolean; report: unknown } }>;
}

/** The release without a release tool: phpublish's own release session pushes a signed tag (`--host none`). */
async function rehearseWithSession(r: Rehearsal): Promise<number> {
  const { services, packagist, account, logger, name: repository } = r;
  const tag = r.version as string;
  const commit = r.head;
  // What the release tool's GitHub step does before phpublish attests: the release exists.
  services.github.createRelease(repository, tag);
  const job = services.githubIssuer.gitHubActionsJob({ repository, ref: `refs/tags/${tag}`, sha: commit });
  const key = await generateThrowawayKey({ name: 'phpublish rehearsal', email: 'rehearsal@phpublish.invalid' });

  const released = await r.steps.run(
    'release',
    async () => {
      const session = await ReleaseSession.start({
        cwd: r.repo,
        env: {
          ...r.env,
          ...job.env,
          GITHUB_API_URL: services.github.url,
          GITHUB_TOKEN: services.github.issueToken(repository, { contents: 'write', attestations: 'write' }),
          ...(r.oidc || r.privatePackagist
            ? {}
            : { PACKAGIST_USERNAME: account.username, PACKAGIST_API_TOKEN: account.safeToken }),
          PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
        },
        options: {
          attest: {
            fulcioUrl: services.sigstore.fulcioUrl,
            rekorUrl: services.sigstore.rekorUrl,
            ...(services.sigstore.tsaUrl ? { tsaUrl: services.sigstore.tsaUrl } : {}),
            githubApiUrl: services.github.url,
          },
          packagist: r.privatePackagist
            ? {
                mode: 'private-packagist',
                privatePackagist: {
                  organization: r.privatePackagist.organization,
                  url: r.privatePackagist.sandbox.url,
                  repositoryUrl: r.privatePackagist.sandbox.repositoryUrl(r.privatePackagist.organization),
                },
                confirm: { timeout: 60 },
              }
            : {
                // `auto` with OIDC: `token` would ask for the PACKAGIST_API_TOKEN the rehearsal does not give.
                ...(r.oidc ? { mode: 'auto', oidc: 'required' } : { mode: 'token' }),
                url: packagist.url,
                repoUrl: packagist.url,
                confirm: { timeout: 60 },
              },
        },
        logger,
        product: 'phpublish-rehearse',
        release: { tag, commit },
      });
      try {
        logger.success('Preflight passed: options, credentials, signing key, CI identity, composer.json, Packagist.');
        const published = await session.publish({ tag, commit, createAndPushTo: 'origin' });
        return { target: session.target, ...published };
      } finally {
        await session.cleanup();
      }
    },
    () =>
      `${tag} tagged, signed, pushed, attested; ${r.privatePackagist ? 'zip published to Private Packagist' : 'Packagist notified'} and served`,
  );
  const result: RehearsalResult = { ok: false, package: r.name, version: tag, commit, steps: r.steps.list };
  if (released) {
    const { posture, artifacts } = released;
    // Where the rehearsed workflow runs: on the release's own tag.
    const { installedFiles, verification } = await r.consume(
      tag,
      key.armoredPublicKey,
      'refs/tags/{tag}',
      artifacts.zip,
    );
    Object.assign(result, {
      package: released.target.packageName,
      posture,
      zip: { name: artifacts.zip.name, sha256: artifacts.zip.sha256 },
      contentDigest: artifacts.contentDigest,
      installedFiles,
      verify: verification.report,
    });
    if ((r.oidc || r.privatePackagist) && posture.packagist?.credential !== 'oidc') {
      r.steps.fail('Packagist credential', 'Packagist was not notified with a short-lived OIDC credential.');
    }
    const unprotected = postureRows(posture).filter((row) => row.status === 'unprotected');
    if (unprotected.length > 0) {
      r.steps.fail('posture', `unprotected: ${unprotected.map((row) => row.layer).join(', ')}`);
    }
  }
  result.ok = r.steps.ok;
  if (r.json) r.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else r.io.stdout.write(`\n${summary(result, r.steps)}\n`);
  return result.ok ? EXIT.ok : EXIT.failed;
}

/**
 * The release through the real release tool (--host): it pushes the tag and the plugin publishes;
 * then the same consumer checks as without a host. Exit 0 only when the tool succeeded, released a
 * tag, and Composer and `phpublish verify` passed every check of it.
 */
async function rehearseWithHost(r: Rehearsal, host: RehearsalHost): Promise<number> {
  const { io, logger } = r;
  const release = await r.steps.run(
    `release with ${host.name}`,
    async () => {
      const release = await releaseWithHost({
        host,
        packagesFrom: r.sample ? CLI_DIR : io.cwd,
        work: r.work,
        repo: r.repo,
        remote: r.remote,
        env: r.env,
        version: r.version,
        logger,
        repository: r.name,
        repositoryUrl: r.repositoryUrl,
        packagist: r.packagist,
        packagistAccount: r.oidc ? undefined : r.account,
        services: r.services,
        output: io.stderr,
      });
      if (release.exitCode !== 0) {
        throw new PhpublishError('REHEARSE_HOST_FAILED', { host: host.name, exitCode: release.exitCode });
      }
      if (!release.tag) throw new PhpublishError('REHEARSE_HOST_RELEASED_NOTHING', { host: host.name });
      return { ...release, tag: release.tag };
    },
    (release) => `${host.name} pushed ${release.tag} and its phpublish plugin published it`,
  );
  const result: HostRehearsalResult = {
    ok: false,
    host: host.name,
    package: r.name,
    version: release?.tag ?? r.version,
    commit: release?.commit ?? r.head,
    steps: r.steps.list,
    overridden: [],
    summary: '',
  };
  if (release) {
    logger.success(`${host.name} pushed ${release.tag} to the rehearsal's remote.`);
    const { installedFiles, verification } = await r.consume(release.tag, release.publicKey, release.jobRef);
    Object.assign(result, {
      overridden: release.overridden,
      summary: release.summary,
      zip: release.zip,
      contentDigest: release.contentDigest,
      publicKey: release.publicKey,
      tagObject: release.tagObject,
      installedFiles,
      verify: verification.report,
    });
  }
  result.ok = r.steps.ok;
  if (r.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else io.stdout.write(`\n${hostSummary(result, r.steps)}\n`);
  return result.ok ? EXIT.ok : EXIT.failed;
}

/**
 * The consumer's check of an artifact package on Private Packagist: the version it serves is the
 * released (and attested) zip, byte for byte. `phpublish verify` is not run: it checks versions built
 * from a git commit, and an artifact's metadata names none (its dist reference is the zip's sha1).
 */
function checkArtifact(
  steps: RehearsalSteps,
  privatePackagist: NonNullable<Rehearsal['privatePackagist']>,
  name: string,
  tag: string,
  zip: { sha256: string } | undefined,
): { ok: boolean; report: unknown } {
  const served = privatePackagist.sandbox
    .versions(privatePackagist.organization, name)
    .find((version) => version.version === tag || version.version === tag.replace(/^v/i, ''));
  const ok = served !== undefined && served.sha256 === zip?.sha256;
  const detail = served
    ? `Private Packagist serves ${served.version} as the artifact sha256:${served.sha256}${ok ? ', the released zip' : `, not the released zip sha256:${zip?.sha256}`}`
    : `Private Packagist does not serve ${tag}`;
  if (ok) steps.pass('served artifact', detail);
  else steps.fail('served artifact', detail);
  steps.skip(
    'phpublish verify',
    'not run: it checks versions built from a git commit, and an artifact package names none',
  );
  return { ok, report: undefined };
}

/**
 * Which registry's trusted publishing `--oidc` rehearses: `packagist` (the proposed exchange of the
 * local Packagist) or `private-packagist`; undefined without --oidc.
 */
function oidcRegistry(oidc: boolean, positionals: string[]): 'packagist' | 'private-packagist' | undefined {
  const [registry, ...extra] = positionals;
  if (registry !== undefined && (!oidc || registry !== 'private-packagist' || extra.length > 0)) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(positionals.join(' '))}: rehearse takes options only, and \`--oidc private-packagist\`.`,
    );
  }
  if (!oidc) return undefined;
  return registry === 'private-packagist' ? 'private-packagist' : 'packagist';
}

/**
 * The temporary copy the rehearsal releases: a clone of the repository in `from` (or the bundled
 * sample, with the host's configuration for it), with a bare repository beside it as its origin.
 * git failing here is about the folder (not a repository, no commit yet): a coded error, not a defect.
 */
async function prepareCopy(input: {
  /** The repository to copy; undefined for the sample. */
  from: string | undefined;
  host: RehearsalHost | undefined;
  work: string;
  repo: string;
  remote: string;
  env: Record<string, string | undefined>;
  version: string | undefined;
}): Promise<{ version: string | undefined; name: string; head: string }> {
  const { from, host, work, repo, remote, env } = input;
  const run = async (args: string[], cwd: string) => {
    try {
      return await git(args, { cwd, env });
    } catch (error) {
      const problem = String((error as Error).message);
      throw new PhpublishError('REHEARSE_COPY_FAILED', { cwd: from ?? 'the sample', problem }, { cause: error });
    }
  };
  if (from === undefined) {
    await cp(SAMPLE_DIR, repo, { recursive: true });
    if (host) await cp(new URL(`${host.name}/`, SAMPLE_HOSTS_DIR), repo, { recursive: true });
    await run(['init', '-q', '-b', 'main'], repo);
    await run(['add', '-A'], repo);
    // A conventional commit, so that semantic-release finds a release in it.
    await run(['commit', '-q', '-m', 'feat: initial release of the sample'], repo);
  } else {
    await run(['clone', '-q', '--no-hardlinks', from, repo], work);
    await run(['remote', 'remove', 'origin'], repo);
  }
  // The rehearsal's own "origin": a bare repository next to it, never the real remote.
  await run(['init', '-q', '--bare', remote], work);
  await run(['remote', 'add', 'origin', remote], repo);
  const head = await run(['rev-parse', '--verify', 'HEAD^{commit}'], repo);
  const version = input.version ?? (host?.takesVersion === false ? undefined : await defaultVersion(repo, env));
  const composer = await readComposerJson(repo);
  return { version, name: String(composer.name ?? 'rehearsal/package'), head };
}

function gitEnv(io: CommandIo): Record<string, string | undefined> {
  return { PATH: io.env['PATH'], HOME: io.env['HOME'], ...REHEARSAL_GIT_ENV };
}

/**
 * The next patch after the newest stable release tag, by Composer's version order (a repository that
 * moved from `v3.8.2` to `7.8.1` releases 7.8.2 next), keeping that tag's `v` prefix or not.
 */
async function defaultVersion(repo: string, env: Record<string, string | undefined>): Promise<string> {
  const tags = (await git(['tag', '--list'], { cwd: repo, env })).split('\n');
  const latest = releaseTagsNewestFirst(tags).find((tag) => isStableVersion(tag.normalized));
  if (!latest) return 'v1.0.0';
  const [major, minor, patch] = latest.normalized.split(/[.-]/).map(Number);
  return `${/^v/i.exec(latest.tag)?.[0] ?? ''}${major}.${minor}.${(patch ?? 0) + 1}`;
}

/**
 * Runs `phpublish verify` against the stand-ins with a policy that trusts the rehearsal's key and
 * release workflow. git fetches the tag from the rehearsal's remote in place of the public URL.
 */
async function verifyRehearsal(input: {
  io: CommandIo;
  work: string;
  remote: string;
  packagist: string;
  services: AttestationSandbox;
  name: string;
  version: string;
  publicKey: string;
  /** Where the release job ran: `refs/tags/{tag}`, or the branch a release tool released from. */
  identityRef: string;
}): Promise<{ ok: boolean; report: unknown; output: string; code: string | undefined }> {
  const { work, services, name } = input;
  await writeFile(join(work, 'rehearsal-key.asc'), input.publicKey);
  await writeFile(join(work, 'trusted_root.json'), JSON.stringify(services.sigstore.trustedRoot));
  const policyFile = join(work, 'phpublish.policy.json');
  await writeFile(
    policyFile,
    JSON.stringify({
      packagistUrl: input.packagist,
      githubApiUrl: services.github.url,
      trustedRoot: 'trusted_root.json',
      packages: {
        [name]: {
          keys: ['rehearsal-key.asc'],
          identities: [
            {
              issuer: services.githubIssuer.issuer,
              repository: name,
              workflow: REHEARSAL_WORKFLOW,
              ref: input.identityRef,
            },
          ],
        },
      },
    }),
  );
  let stdout = '';
  let stderr = '';
  let thrown: string | undefined;
  // A coded error verify throws (rather than reports) fails the step like a failed check.
  const code = await verifyCommand
    .run(
      { values: { policy: policyFile, json: true }, positionals: [name, input.version] },
      {
        argv: [],
        cwd: work,
        env: {
          ...gitEnv(input.io),
          GIT_CONFIG_COUNT: '1',
          GIT_CONFIG_KEY_0: `url.${input.remote}.insteadOf`,
          GIT_CONFIG_VALUE_0: `https://github.com/${name}.git`,
        },
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
      },
    )
    .catch((error: unknown) => {
      if (!(error instanceof PhpublishAggregateError) && !isPhpublishError(error)) throw error;
      stderr += error.format();
      thrown = error instanceof PhpublishAggregateError ? error.errors.map((e) => e.code).join(', ') : error.code;
      return EXIT.failed;
    });
  let report: unknown;
  try {
    report = JSON.parse(stdout);
  } catch {
    report = undefined;
  }
  return { ok: code === EXIT.ok, report, output: `${stdout}${stderr}`, code: failedCheckCodes(report) ?? thrown };
}

function summary(r: RehearsalResult, steps: RehearsalSteps): string {
  return [
    ...(r.posture ? [postureText(r.posture), ''] : []),
    ...(r.zip
      ? [
          table([
            ['artifact', 'value'],
            ['dist zip', `${r.zip.name} sha256:${r.zip.sha256}`],
            ['content digest', r.contentDigest ?? 'none'],
            ['Composer fetch', describeFiles(r.installedFiles)],
          ]),
          '',
        ]
      : []),
    steps.text(),
  ].join('\n');
}

function hostSummary(r: HostRehearsalResult, steps: RehearsalSteps): string {
  return [
    ...(r.summary.trim() ? [r.summary.trim(), ''] : []),
    table([
      ['artifact', 'value'],
      ['released by', r.host],
      ['tag', r.version ? `${r.version} at ${r.commit}` : 'none'],
      ['dist zip', r.zip ? `${r.zip.name} sha256:${r.zip.sha256}` : 'none'],
      ['content digest', r.contentDigest ?? 'none'],
      ['Composer fetch', describeFiles(r.installedFiles)],
    ]),
    '',
    steps.text(),
    ...(r.overridden.length > 0 ? ['', 'The rehearsal overrode:', ...r.overridden.map((line) => `  - ${line}`)] : []),
  ].join('\n');
}

function describeFiles(files: string[] | undefined): string {
  return files ? `${files.length} files: ${files.join(', ')}` : 'not fetched';
}

/** The codes of the checks `phpublish verify` failed, e.g. `VERIFY_CONTENT_MISMATCH`. */
function failedCheckCodes(report: unknown): string | undefined {
  const checks = (report as { packages?: { checks?: { status?: string; code?: string }[] }[] } | undefined)
    ?.packages?.[0]?.checks;
  const codes = (checks ?? []).filter((check) => check.status === 'failed' && check.code).map((check) => check.code);
  return codes.length > 0 ? codes.join(', ') : undefined;
}

function describeVerify(report: unknown): string {
  const packages = (
    report as { packages?: { status?: string; checks?: { check?: string; status?: string }[] }[] } | undefined
  )?.packages;
  const first = packages?.[0];
  if (!first) return 'no report';
  const checks = (first.checks ?? []).map((check) => `${check.check} ${check.status}`).join(', ');
  return `${first.status}: ${checks}`;
}
