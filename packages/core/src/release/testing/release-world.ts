/**
 * Every service one release meets, on 127.0.0.1, for the reliability tests (fault matrix, racing
 * jobs): a package repository with a bare `origin`, the CI's OIDC issuer, Fulcio, Rekor and a TSA,
 * GitHub's API and Packagist — or, with `packagist: 'private-packagist'`, Private Packagist's trusted
 * publishing (no attestation: its calls are what that world is for). A release runs through the core ReleaseSession with short timeouts, a
 * virtual clock for phpublish's own waits and short real waits for sigstore-js's. Only for tests.
 */
import { join } from 'node:path';
import {
  type AttestationSandbox,
  type SandboxPackagist,
  type SandboxPrivatePackagist,
  type SandboxUserCredentials,
  startAttestationSandbox,
  startSandboxGitHub,
  startSandboxPackagist,
  startSandboxPrivatePackagist,
} from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { Agent, type Dispatcher } from 'undici';
import { virtualClock } from '../../clock.js';
import { isPhpublishError, PhpublishAggregateError, type PhpublishError } from '../../errors/index.js';
import { git } from '../../git/index.js';
import type { RetryPolicy } from '../../http/index.js';
import { memoryLogger } from '../../log/index.js';
import { ReleaseSession } from '../session.js';

export const PACKAGE = 'acme/hello';
/** The Private Packagist organisation whose acme/hello exists (after the world's first release there). */
export const ORGANIZATION = 'acme-org';
export const REPOSITORY_URL = 'https://github.com/acme/hello';
/** One second per request (the smallest `requestTimeout`); retries bounded and quick. */
export const REQUEST_TIMEOUT_SECONDS = 1;
/** `signing.pushTimeout`: the slow push (a second) stays within it, the hung one does not. */
export const PUSH_TIMEOUT_SECONDS = 5;
export const RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 20, maxDelayMs: 80, maxRetryAfterMs: 5_000 };

export interface ReleaseOutcome {
  /** The coded error the release stopped with (the first one of an aggregate), if it stopped. */
  error?: PhpublishError;
  /** An error that is not coded: a crash, which no cell may end in. */
  crash?: unknown;
  lines: string[];
  /** Real time the run took. */
  ms: number;
}

export interface WorldState {
  /** The tag's object id in `origin` (undefined when not pushed). */
  remoteTag: string | undefined;
  releases: number;
  /** Asset names on the tag's release(s), in order, duplicates kept. */
  assets: string[];
  attestations: number;
  /**
   * Versions of acme/hello Packagist serves (`version@commit`), or that Private Packagist has in the
   * tag's organisation (`version@artifact`), duplicates kept.
   */
  packagistVersions: string[];
}

export interface PrepareOptions {
  /** Private Packagist: release into a new organisation, where the release creates the artifact package. */
  newPackage?: boolean;
}

export interface ReleaseWorld {
  readonly services: AttestationSandbox;
  readonly packagist: SandboxPackagist;
  /** Undefined unless the world was started with `packagist: 'private-packagist'`. */
  readonly privatePackagist: SandboxPrivatePackagist | undefined;
  readonly repo: PhpPackageRepo;
  /** The bare repository `origin` names. */
  readonly remote: string;
  readonly key: TestKey;
  readonly account: SandboxUserCredentials;
  /** The assets a finished release of `version` has on its release (GitLab links the bundle only). */
  assetsOf(version: string): string[];
  /** Attestations one finished release stores (none in the Private Packagist world). */
  readonly attestationsPerRelease: number;
  /** What `state(tag).packagistVersions` holds once the release of `tag` at `commit` is published. */
  publishedEntry(tag: string, commit: string): string;
  /**
   * Makes a new commit and the forge's release of `tag` (as a host's release step would), and returns
   * the commit. Private Packagist: the release goes to ORGANIZATION, whose package a first release
   * (made here when needed) has created, or with `newPackage` to a new organisation.
   */
  prepare(tag: string, options?: PrepareOptions): Promise<string>;
  /** One release job of `tag` at `commit`, from preflight to cleanup, in `cwd` (the repository by default). */
  release(tag: string, commit: string, options?: { cwd?: string; dispatcher?: Dispatcher }): Promise<ReleaseOutcome>;
  state(tag: string): Promise<WorldState>;
  close(): Promise<void>;
}

/**
 * With `githubTls`, GitHub is served over HTTPS (GitHub Enterprise Server's layout) with a
 * throwaway CA that only the world's own dispatcher trusts: a release given another dispatcher
 * meets a TLS failure.
 */
export async function startReleaseWorld(
  options: { githubTls?: boolean; ci?: 'github' | 'gitlab'; packagist?: 'packagist' | 'private-packagist' } = {},
): Promise<ReleaseWorld> {
  const gitlab = options.ci === 'gitlab';
  const key = await generateTestKey('ed25519');
  const services = await startServices(options.githubTls === true);
  const packagist = await startSandboxPackagist({ crawlDelayMs: 5 });
  const privatePackagist =
    options.packagist === 'private-packagist'
      ? await startSandboxPrivatePackagist({ githubIssuer: services.githubIssuer, vcsWebhookIntervalMs: 0 })
      : undefined;
  /** The organisation each prepared tag is released to (Private Packagist). */
  const organizationOf = new Map<string, string>();
  const addOrganization = (organization: string) =>
    privatePackagist?.addTrustedPublisher(organization, {
      packageName: PACKAGE,
      owner: 'acme',
      repository: 'hello',
      workflow: 'release.yml',
    });
  addOrganization(ORGANIZATION);
  const repo = await createPhpPackageRepo({ name: PACKAGE, tags: [] });
  const remoteDir = await makeTempDir('phpublish-origin-');
  const remote = join(remoteDir.path, 'origin.git');
  await git(['init', '-q', '--bare', remote], { cwd: repo.dir, env: gitEnv() });
  await repo.git(['remote', 'add', 'origin', remote]);
  const account = packagist.addUser({ username: 'alice' });
  packagist.addRemote(REPOSITORY_URL, remote);
  packagist.addPackage({ name: PACKAGE, repositoryUrl: REPOSITORY_URL, maintainers: ['alice'] });
  services.github.addRepository(PACKAGE);
  services.gitlab.addProject(PACKAGE);
  // Trusts the stand-ins' own CA only when GitHub serves HTTPS; a plain Agent is what a wrong CA looks like.
  const caPem = services.github.caPem;
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    connections: 10,
    ...(caPem ? { connect: { ca: [caPem] } } : {}),
  });
  let commits = 0;

  const release: ReleaseWorld['release'] = async (tag, commit, runOptions = {}) => {
    const started = Date.now();
    const memory = memoryLogger();
    const stamp = (write: (m: string) => void) => (m: string) => write(`[${Date.now() - started} ms] ${m}`);
    const logger = {
      lines: memory.lines,
      info: stamp(memory.info),
      warn: stamp(memory.warn),
      error: stamp(memory.error),
      success: stamp(memory.success),
    };
    const job = gitlab
      ? services.gitlabIssuer.gitLabCiJob({ projectPath: PACKAGE, ref: tag, refType: 'tag', sha: commit })
      : services.githubIssuer.gitHubActionsJob({ repository: PACKAGE, ref: `refs/tags/${tag}`, sha: commit });
    const forge: Record<string, string> = gitlab
      ? { CI_API_V4_URL: services.gitlab.apiUrl, CI_JOB_TOKEN: services.gitlab.issueJobToken(PACKAGE) }
      : {
          GITHUB_API_URL: services.github.apiUrl,
          GITHUB_TOKEN: services.github.issueToken(PACKAGE, { contents: 'write', attestations: 'write' }),
        };
    let session: ReleaseSession | undefined;
    try {
      session = await ReleaseSession.start({
        cwd: runOptions.cwd ?? repo.dir,
        env: gitEnv({
          ...job.env,
          ...forge,
          PACKAGIST_USERNAME: account.username,
          PACKAGIST_API_TOKEN: account.safeToken,
          PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
        }),
        options: {
          signing: { pushTimeout: PUSH_TIMEOUT_SECONDS },
          attest: {
            ...(privatePackagist ? { enabled: false } : {}),
            fulcioUrl: services.sigstore.fulcioUrl,
            rekorUrl: services.sigstore.rekorUrl,
            ...(services.sigstore.tsaUrl ? { tsaUrl: services.sigstore.tsaUrl } : {}),
            githubApiUrl: services.github.apiUrl,
            gitlabApiUrl: services.gitlab.apiUrl,
            requestTimeout: REQUEST_TIMEOUT_SECONDS,
          },
          packagist: {
            ...(privatePackagist
              ? {
                  mode: 'private-packagist' as const,
                  privatePackagist: {
                    organization: organizationOf.get(tag) ?? ORGANIZATION,
                    url: privatePackagist.url,
                    repositoryUrl: privatePackagist.repositoryUrl(organizationOf.get(tag) ?? ORGANIZATION),
                  },
                }
              : { mode: 'token' as const, repositoryUrl: REPOSITORY_URL, url: packagist.url, repoUrl: packagist.url }),
            requestTimeout: REQUEST_TIMEOUT_SECONDS,
            confirm: { timeout: 3600 },
          },
        },
        logger,
        // phpublish's own waits (backoff, Packagist polls) pass 100 times faster than they say.
        clock: virtualClock({ startMs: Date.now(), realTimeScale: 0.01 }),
        dispatcher: runOptions.dispatcher ?? agent,
        retry: RETRY,
        release: { tag, commit },
      });
      await session.publish({ tag, commit, createAndPushTo: 'origin' });
      await session.report({ print: () => {} });
      return { lines: logger.lines, ms: Date.now() - started };
    } catch (error) {
      const coded = error instanceof PhpublishAggregateError ? error.errors[0] : error;
      return isPhpublishError(coded)
        ? { error: coded, lines: logger.lines, ms: Date.now() - started }
        : { crash: error, lines: logger.lines, ms: Date.now() - started };
    } finally {
      await session?.cleanup();
    }
  };

  /** A new commit, tagged `tag` by the release, and the forge's release of `tag`. */
  const commitFor = async (tag: string) => {
    commits += 1;
    const commit = await repo.commit({ [`src/Change${commits}.php`]: `<?php\n// change ${commits}\n` }, tag);
    if (gitlab) services.gitlab.createRelease(PACKAGE, tag);
    else services.github.createRelease(PACKAGE, tag);
    return commit;
  };

  const prepare: ReleaseWorld['prepare'] = async (tag, prepareOptions = {}) => {
    if (privatePackagist && prepareOptions.newPackage) {
      const organization = `${ORGANIZATION}-${commits + 1}`;
      addOrganization(organization);
      organizationOf.set(tag, organization);
    } else if (privatePackagist && privatePackagist.versions(ORGANIZATION, PACKAGE).length === 0) {
      // The first release creates the package; the tag asked for then meets the existing one.
      const first = `v0.0.${commits + 1}`;
      const outcome = await release(first, await commitFor(first));
      if (outcome.error || outcome.crash) throw new Error(`the first release failed: ${outcome.lines.join('\n')}`);
    }
    return commitFor(tag);
  };

  /** What Packagist serves of acme/hello (`version@commit`), or Private Packagist has (`version@artifact`). */
  const servedVersions = async (tag: string): Promise<string[]> => {
    if (privatePackagist) {
      return privatePackagist
        .versions(organizationOf.get(tag) ?? ORGANIZATION, PACKAGE)
        .map((entry) => `v${entry.version.replace(/^v/, '')}@artifact`);
    }
    const metadata = await fetch(`${packagist.url}/p2/${PACKAGE}.json`);
    const versions: string[] = [];
    if (metadata.ok) {
      const doc = (await metadata.json()) as {
        packages: Record<string, { version?: string; source?: { reference?: string } }[]>;
      };
      // Minified: the first entry carries every field, later ones only what changed.
      let reference = '';
      for (const entry of doc.packages[PACKAGE] ?? []) {
        reference = entry.source?.reference ?? reference;
        if (entry.version) versions.push(`${entry.version}@${reference}`);
      }
    }
    return versions;
  };

  return {
    services,
    packagist,
    privatePackagist,
    repo,
    remote,
    key,
    account,
    assetsOf: (version) =>
      privatePackagist
        ? []
        : gitlab
          ? [`acme-hello-${version}.sigstore.json`]
          : [`acme-hello-${version}.sigstore.json`, `acme-hello-${version}.zip`],
    attestationsPerRelease: privatePackagist ? 0 : 1,
    publishedEntry: (tag, commit) => `${tag}@${privatePackagist ? 'artifact' : commit}`,
    prepare,
    release,
    state: async (tag) => {
      const listed = await git(['ls-remote', remote, `refs/tags/${tag}`], { cwd: repo.dir, env: gitEnv() });
      const releases = gitlab ? [] : services.github.releases(PACKAGE).filter((r) => r.tag === tag);
      const versions = await servedVersions(tag);
      return {
        remoteTag: listed.split(/\s/)[0] || undefined,
        // GitLab: the release the test prepared, its links, and the files of the generic package.
        releases: gitlab ? 1 : releases.length,
        assets: gitlab
          ? services.gitlab.releaseLinks(PACKAGE, tag).map((link) => link.name)
          : releases.flatMap((r) => r.assets.map((a) => a.name)),
        attestations: gitlab
          ? services.gitlab.packageFiles(PACKAGE).size
          : services.github.attestations(PACKAGE).length,
        packagistVersions: versions,
      };
    },
    close: async () => {
      await agent.close();
      await services.close();
      await packagist.close();
      await privatePackagist?.close();
      await repo.cleanup();
      await remoteDir.cleanup();
    },
  };
}

/** The attestation stand-ins; with `githubTls`, their GitHub replaced by one that serves HTTPS. */
async function startServices(githubTls: boolean): Promise<AttestationSandbox> {
  const services = await startAttestationSandbox();
  if (!githubTls) return services;
  const github = await startSandboxGitHub({ tls: true });
  return {
    ...services,
    github,
    close: async () => {
      await github.close();
      await services.close();
    },
  };
}
