import { join } from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import { type PublicGoodRootOptions, publicGoodTrustedRoot, type TrustedRootJson } from '../attest/trusted-root.js';
import type { Clock } from '../clock.js';
import { type AnswerLimits, DEFAULT_RETRY, type HttpDeps, type RetryPolicy } from '../http/index.js';
import type { Logger, Redactor } from '../log/index.js';
import { PackagistClient, type VersionsResult } from '../packagist/client.js';
import { VerifyCache, type VerifyCacheOptions } from './verify-cache.js';

/** Everything verification touches, passed in. */
export interface VerifyDeps {
  /** Relative policy, lock and key paths are read from here. */
  cwd: string;
  /** For git (credentials, proxies, `url.<base>.insteadOf`) and GITHUB_TOKEN/GH_TOKEN for GitHub's API. */
  env: Record<string, string | undefined>;
  clock: Clock;
  /** One agent for every request of a run: connections are reused across packages. */
  dispatcher: Dispatcher;
  userAgent: string;
  /** Progress lines; should already be redacting. */
  logger: Logger;
  /** Tokens read from `env` are registered here. */
  redactor: Redactor;
  /** Where temporary repositories and downloads go (removed afterwards). */
  tempDir: string;
  retry?: Partial<RetryPolicy>;
  /** Per request; 30 s by default. */
  timeoutMs?: number;
  /** The largest answer accepted, by kind (metadata, api, bundle, dist); DEFAULT_ANSWER_LIMITS otherwise. */
  limits?: Partial<AnswerLimits>;
  /**
   * The public-good trusted root, when a policy entry names none. By default offline: the root that
   * ships with the Sigstore libraries, or a newer one a refresh kept in the cache folder.
   */
  loadPublicGoodRoot?: () => Promise<TrustedRootJson>;
  /**
   * Refresh the public-good root through Sigstore's TUF repository first (network) and keep it in the
   * cache folder when there is one. A failed refresh is a warning: the offline root is used.
   */
  refreshTrustedRoot?: boolean;
  /** Where passed checks are cached (verify-cache.ts); nothing is cached without it. */
  cache?: VerifyCacheOptions;
}

export interface VerifyEndpoints {
  /** The Composer repository serving p2 metadata. */
  packagistUrl: string;
  githubApiUrl: string;
  /** GitLab's API for every GitLab identity; each identity's `serverUrl` + `/api/v4` when absent. */
  gitlabApiUrl?: string;
}

export const DEFAULT_ENDPOINTS: VerifyEndpoints = {
  packagistUrl: 'https://repo.packagist.org',
  githubApiUrl: 'https://api.github.com',
};

/**
 * The HTTP agent for a verification run: kept-alive connections, a bounded pool per origin, so
 * that hundreds of packages reuse a handful of connections. Close it when the run is over.
 */
export function createVerifyAgent(options: { connectionsPerOrigin?: number } = {}): Agent {
  return new Agent({ connections: options.connectionsPerOrigin ?? 16, keepAliveTimeout: 10_000 });
}

/** What one run shares between its packages: HTTP plumbing, clients, the trusted root once loaded. */
export interface VerifySession {
  deps: VerifyDeps;
  endpoints: VerifyEndpoints;
  http: HttpDeps;
  packagist: PackagistClient;
  /**
   * A package's p2 metadata, read once per run: every version of it checked in this run (the
   * monitor checks them all) is checked against the same answer. A failed read is not kept.
   */
  metadata(packageName: string): Promise<VersionsResult>;
  /** Headers for GitHub's API (a token when the environment has one). */
  gitHubHeaders: Record<string, string>;
  /** The public-good trusted root, loaded at most once. */
  publicGoodRoot(): Promise<TrustedRootJson>;
  /** The verification cache, when deps name one. */
  cache: VerifyCache | undefined;
}

export function createSession(deps: VerifyDeps, endpoints: VerifyEndpoints): VerifySession {
  const http: HttpDeps = {
    dispatcher: deps.dispatcher,
    clock: deps.clock,
    userAgent: deps.userAgent,
    timeoutMs: deps.timeoutMs ?? 30_000,
    retry: { ...DEFAULT_RETRY, ...deps.retry },
    ...(deps.limits ? { limits: deps.limits } : {}),
    onRetry: ({ url, attempt, delayMs, reason }) =>
      deps.logger.info(
        `${reason} from ${deps.redactor.redact(url)}; retrying in ${Math.round(delayMs / 100) / 10} s (attempt ${attempt + 1})`,
      ),
  };
  const token = deps.env['GITHUB_TOKEN']?.trim() || deps.env['GH_TOKEN']?.trim() || undefined;
  deps.redactor.add(token);
  let root: Promise<TrustedRootJson> | undefined;
  const packagist = new PackagistClient({
    apiUrl: endpoints.packagistUrl,
    repoUrl: endpoints.packagistUrl,
    dispatcher: deps.dispatcher,
    clock: deps.clock,
    userAgent: deps.userAgent,
    timeoutMs: http.timeoutMs,
    retry: http.retry,
    onRetry: http.onRetry,
    ...(http.limits ? { limits: http.limits } : {}),
  });
  const metadata = new Map<string, Promise<VersionsResult>>();
  return {
    cache: deps.cache ? new VerifyCache(deps.cache, (message) => deps.logger.warn(message)) : undefined,
    deps,
    endpoints,
    http,
    packagist,
    metadata: (packageName) => {
      const key = packageName.toLowerCase();
      let read = metadata.get(key);
      if (!read) {
        read = packagist.getVersions(packageName);
        metadata.set(key, read);
        read.catch(() => metadata.delete(key));
      }
      return read;
    },
    gitHubHeaders: {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    publicGoodRoot: () => {
      root ??= (deps.loadPublicGoodRoot ?? (() => publicGoodTrustedRoot(publicGoodRootOptions(deps))))();
      // A failed load is not remembered: the next package tries again.
      root.catch(() => {
        root = undefined;
      });
      return root;
    },
  };
}

/** Where the public-good root is cached (beside the verification cache) and whether it is refreshed. */
export function publicGoodRootOptions(deps: VerifyDeps): PublicGoodRootOptions {
  return {
    ...(deps.cache ? { cachePath: join(deps.cache.dir, 'sigstore') } : {}),
    ...(deps.refreshTrustedRoot ? { refresh: true } : {}),
    onRefreshFailed: (problem) =>
      deps.logger.warn(
        `The Sigstore trusted root could not be refreshed (${deps.redactor.redact(problem)}); using the one phpublish has offline.`,
      ),
  };
}
