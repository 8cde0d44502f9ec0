import { randomBytes } from 'node:crypto';
import { sandboxAudit } from '../audit.js';
import { GitReader, isolatedGitEnv } from '../git/git-reader.js';
import { htmlResponse, type SandboxRequest, type SandboxResponse } from '../http/exchange.js';
import { FaultInjector, type FaultRule } from '../http/faults.js';
import type { RecordedRequest } from '../http/request-log.js';
import { startStandInServer } from '../http/server.js';
import { crawlPackage } from './crawler.js';
import { handleCreatePackage } from './create-package.js';
import { archiveFolderName, DistArchives } from './dist-archives.js';
import { JobQueue, type JobResult } from './jobs.js';
import { dumpPackage, MetadataFiles } from './metadata-dumper.js';
import { OidcExchange, type OidcExchangeOptions, type TrustedPublisher } from './oidc-exchange.js';
import { PackageRegistry, type SandboxPackage } from './packages.js';
import { handleDownloads, handleJobStatus, handleMetadataFile, handleRoot } from './read-routes.js';
import { gitHubRepositoryUrl, repositoryKey } from './repository-url.js';
import { handleUpdatePackage } from './update-package.js';
import { canonicalUsername, newApiToken, UserDirectory } from './users.js';

export interface SandboxPackagistOptions {
  /** How long an update job waits in the queue before the worker takes it; 20 ms by default. */
  readonly crawlDelayMs?: number;
  /** How long after a crawl the p2 files change (Packagist's dumper runs every few seconds); 0 by default. */
  readonly dumpDelayMs?: number;
  /** When set, a package created through the API is crawled this long after creation, as Packagist's cron does. */
  readonly cronDelayMs?: number;
  /** Receives one line per request and per job; never a token. */
  readonly log?: (line: string) => void;
  /** Stamps `published-time`, Last-Modified and job expiry; the system clock by default. */
  readonly clock?: { now(): number };
  /** Environment for the git processes that read repositories; a minimal isolated one by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Secret of Packagist's own GitHub integration, for signed `github_auto` hooks; random by default. */
  readonly githubWebhookSecret?: string;
  /**
   * Offers the OIDC token exchange packagist.org does not have yet (`GET`/`POST /api/oidc/exchange`, see
   * docs/oidc.md), trusting these issuers. Off by default: then those paths answer 404, as packagist.org does.
   */
  readonly offerOidcExchange?: OidcExchangeOptions;
  /** 127.0.0.1 and a free port by default. */
  readonly host?: string;
  readonly port?: number;
}

export interface SandboxUserCredentials {
  readonly username: string;
  /** MAIN token: every API call. */
  readonly mainToken: string;
  /** SAFE token: update-package only. */
  readonly safeToken: string;
}

export interface CrawlOutcome extends JobResult {
  readonly id: string;
}

export interface SandboxPackagist {
  /** `http://127.0.0.1:<port>`: the API (packagist.org) and the repository (repo.packagist.org) in one. */
  readonly url: string;
  /** Every request received, oldest first. */
  readonly requests: readonly RecordedRequest[];
  addUser(user: { username: string; active?: boolean }): SandboxUserCredentials;
  /** Backs a public repository URL (any form of it) with a local git directory (bare or not). */
  addRemote(repositoryUrl: string, gitDir: string): void;
  /** A package Packagist already knows (created earlier, not crawled yet). */
  addPackage(init: { name: string; repositoryUrl: string; maintainers: readonly string[] }): void;
  /** Lets one CI workflow publish the package through the OIDC exchange (needs `offerOidcExchange`). */
  addTrustedPublisher(publisher: TrustedPublisher): void;
  /** The audience the OIDC exchange wants in CI tokens; undefined when it is not offered. */
  readonly oidcAudience: string | undefined;
  /** Whether any request ever carried this secret, in its URL, headers or body (tests of what a client sent). */
  sawSecret(secret: string): boolean;
  /** Runs an update of the package now (after any running job) and resolves to the job's result. */
  crawlNow(name: string): Promise<CrawlOutcome>;
  /** Resolves once no job is queued or running and every pending dump is written. */
  idle(): Promise<void>;
  /** Arms a fault for the next matching request(s): 429/5xx/non-JSON answers, resets, hangs. */
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const P2_PATH = /^\/p2\/([^/]+\/[^/]+?)(~dev)?\.json$/;
const DIST_PATH = /^\/dists\/([^/]+\/[^/]+)\/([0-9a-f]{40})\.zip$/;
const JOB_PATH = /^\/jobs\/([a-f0-9]+)$/;
const UPDATE_PATHS = new Set(['/api/update-package', '/api/github', '/api/bitbucket']);

/**
 * A local Packagist on 127.0.0.1 that behaves like packagist.org where phpublish meets it: the update and
 * create APIs with their exact answers, the job queue and status endpoint, a crawler that reads real git
 * repositories (and refuses moved tags), minified p2 metadata with Last-Modified, and dist zips.
 */
export async function startSandboxPackagist(options: SandboxPackagistOptions = {}): Promise<SandboxPackagist> {
  const clock = options.clock ?? { now: () => Date.now() };
  const gitEnv = options.env ?? isolatedGitEnv();
  const log = options.log ?? (() => {});
  const users = new UserDirectory();
  const packages = new PackageRegistry();
  const remotes = new Map<string, { url: string; gitDir: string }>();
  const files = new MetadataFiles();
  const dists = new DistArchives();
  const faults = new FaultInjector();
  const requests: RecordedRequest[] = [];
  const githubWebhookSecret = options.githubWebhookSecret ?? randomBytes(20).toString('hex');
  const dumpDelayMs = options.dumpDelayMs ?? 0;
  const pendingDumps = new Set<NodeJS.Timeout>();
  let baseUrl = '';
  let oidc: OidcExchange | undefined;
  /** Each request's URL, headers and body as received, only for `sawSecret`. */
  const rawRequests: string[] = [];

  const readerFor = (repositoryUrl: string) => {
    const remote = remotes.get(repositoryKey(repositoryUrl));
    return remote ? { reader: new GitReader(remote.gitDir, gitEnv), remote } : undefined;
  };

  const dumpNow = (pkg: SandboxPackage) => {
    const dumped = dumpPackage(pkg);
    const name = pkg.name.toLowerCase();
    files.write(name, dumped.tags, clock.now());
    files.write(`${name}~dev`, dumped.dev, clock.now());
  };
  /** V2Dumper picks up new and crawled packages a moment later. */
  const scheduleDump = (pkg: SandboxPackage) => {
    if (dumpDelayMs <= 0) return dumpNow(pkg);
    const timer = setTimeout(() => {
      pendingDumps.delete(timer);
      dumpNow(pkg);
    }, dumpDelayMs);
    pendingDumps.add(timer);
  };

  const jobs = new JobQueue({
    delayMs: options.crawlDelayMs ?? 20,
    now: () => clock.now(),
    onError: (error) => log(`sandbox packagist: crawl crashed: ${(error as Error).stack ?? String(error)}`),
    run: async (packageName) => {
      const pkg = packages.byName(packageName);
      if (!pkg) {
        return { status: 'package_gone', message: 'Package was deleted, skipped', vendor: 'unknown' };
      }
      const result = await crawlPackage(pkg, {
        baseUrl,
        now: () => clock.now(),
        dists,
        readerFor: (url) => readerFor(url)?.reader,
      });
      log(`job for ${pkg.name}: ${result.status}: ${result.message}`);
      scheduleDump(pkg);
      return result;
    },
  });

  const secrets = () => [...users.allTokens(), ...(oidc?.secrets() ?? [])];

  const handle = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const { method, path } = request;
    const isRead = method === 'GET' || method === 'HEAD';
    const methodNotAllowed = (allow: string) => htmlResponse(405, 'Method Not Allowed', { allow });
    rawRequests.push(`${request.url}\n${JSON.stringify(request.headers)}\n${request.body.toString('utf8')}`);

    if (path === '/api/oidc/exchange' && oidc) {
      if (method === 'POST') return oidc.exchange(request);
      return isRead ? oidc.describe() : methodNotAllowed('GET, HEAD, POST');
    }
    if (UPDATE_PATHS.has(path)) {
      if (method !== 'POST') return methodNotAllowed('POST');
      return handleUpdatePackage(request, { users, packages, jobs, githubWebhookSecret, oidc });
    }
    if (path === '/api/create-package') {
      if (method !== 'POST') return methodNotAllowed('POST');
      return handleCreatePackage(request, {
        users,
        packages,
        readerFor: (url) => {
          const found = readerFor(url);
          if (!found) return undefined;
          // GitHub's driver reports the repository's canonical https URL (with GitHub's own spelling).
          const github = gitHubRepositoryUrl(found.remote.url);
          const canonicalUrl = github ? `https://github.com/${github.owner}/${github.name}` : url;
          return { reader: found.reader, canonicalUrl };
        },
        onCreated: (pkg) => {
          log(`package ${pkg.name} created from ${pkg.repository}`);
          scheduleDump(pkg);
          if (options.cronDelayMs !== undefined) jobs.schedule(pkg.name, options.cronDelayMs);
        },
      });
    }
    const job = JOB_PATH.exec(path);
    if (job) return isRead ? handleJobStatus(job[1]!, jobs) : methodNotAllowed('GET, HEAD');
    if (path === '/packages.json') return isRead ? handleRoot(baseUrl, packages) : methodNotAllowed('GET, HEAD');
    const p2 = P2_PATH.exec(path);
    if (p2 && isRead) return handleMetadataFile(request, `${p2[1]}${p2[2] ?? ''}`, files);
    const dist = DIST_PATH.exec(path);
    if (dist && isRead) return serveDist(dist[1]!, dist[2]!);
    if (path === '/downloads/') return method === 'POST' ? handleDownloads(request) : methodNotAllowed('POST');
    return htmlResponse(404, 'Not Found');
  };

  /** Like GitHub's zipball endpoint: any commit of the package's repository. */
  const serveDist = async (name: string, commit: string): Promise<SandboxResponse> => {
    const pkg = packages.byName(name);
    const found = pkg && readerFor(pkg.repository);
    if (!pkg || !found || !(await found.reader.isCommit(commit))) return htmlResponse(404, 'Not Found');
    const archive = await dists.get(found.reader, commit, archiveFolderName(pkg.name, commit));
    return {
      status: 200,
      headers: {
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename=${archiveFolderName(pkg.name, commit)}.zip`,
      },
      body: archive.zip,
    };
  };

  const server = await startStandInServer({
    name: 'packagist',
    linePrefix: '',
    host: options.host,
    port: options.port,
    faults,
    handle,
    requests,
    secrets,
    log,
  });
  baseUrl = server.url;
  if (options.offerOidcExchange) {
    oidc = new OidcExchange({
      options: options.offerOidcExchange,
      baseUrl,
      packages,
      now: () => clock.now(),
      onSecret: (secret) => sandboxAudit.issuedSecrets.add(secret),
    });
  }

  return {
    url: server.url,
    requests,
    addUser: ({ username, active = true }) => {
      const user = { username, mainToken: newApiToken(), safeToken: newApiToken(), active };
      users.add(user);
      sandboxAudit.issuedSecrets.add(user.mainToken);
      sandboxAudit.issuedSecrets.add(user.safeToken);
      return { username: user.username, mainToken: user.mainToken, safeToken: user.safeToken };
    },
    addRemote: (repositoryUrl, gitDir) => {
      remotes.set(repositoryKey(repositoryUrl), { url: repositoryUrl, gitDir });
    },
    addPackage: ({ name, repositoryUrl, maintainers }) => {
      for (const username of maintainers) {
        if (!users.byUsername(username)) throw new Error(`sandbox Packagist: no user ${username}; addUser first`);
      }
      const pkg = packages.add({ name, repository: repositoryUrl, maintainers: maintainers.map(canonicalUsername) });
      dumpNow(pkg);
    },
    addTrustedPublisher: (publisher) => {
      if (!oidc) throw new Error('sandbox Packagist: start it with offerOidcExchange to register trusted publishers');
      oidc.addTrustedPublisher(publisher);
    },
    get oidcAudience() {
      return oidc?.audience;
    },
    sawSecret: (secret) => rawRequests.some((raw) => raw.includes(secret)),
    crawlNow: async (name) => {
      if (!packages.byName(name)) throw new Error(`sandbox Packagist: no package ${name}`);
      const { id, result } = await jobs.runNow(name);
      return { id, ...result };
    },
    idle: async () => {
      await jobs.idle();
      while (pendingDumps.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    injectFault: (rule: FaultRule) => faults.arm(rule),
    clearFaults: () => faults.clear(),
    close: async () => {
      await jobs.close();
      for (const timer of pendingDumps) clearTimeout(timer);
      pendingDumps.clear();
      await server.close();
    },
  };
}
