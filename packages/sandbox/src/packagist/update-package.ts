import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  headerValue,
  htmlResponse,
  jsonResponse,
  lastParam,
  type SandboxRequest,
  type SandboxResponse,
} from '../http/exchange.js';
import type { JobQueue } from './jobs.js';
import type { OidcExchange } from './oidc-exchange.js';
import type { PackageRegistry, SandboxPackage } from './packages.js';
import { readPayload, updateRequestUrl } from './payload.js';
import { matchRepositoryUrl, type RepositoryUrlParts, sameRepository, type UrlPatternName } from './repository-url.js';
import { bearerCredentials, canonicalUsername, type SandboxUser, type UserDirectory } from './users.js';

export interface UpdatePackageDependencies {
  readonly users: UserDirectory;
  readonly packages: PackageRegistry;
  readonly jobs: JobQueue;
  /** The secret of Packagist's own GitHub integration (`github_auto` hooks). */
  readonly githubWebhookSecret: string;
  /** The OIDC token exchange, when offered: its short-lived credentials are accepted here. */
  readonly oidc?: OidcExchange;
}

type ReceiveType = 'manual' | 'github_user_secret' | 'github_auto' | 'trusted_publisher';

const error = (status: number, message: string) => jsonResponse(status, { status: 'error', message });

function validSignature(header: string, body: Buffer, secrets: readonly string[]): boolean {
  const hex = /^sha256=([0-9a-f]{64})$/i.exec(header)?.[1]?.toLowerCase() ?? '';
  return secrets.some((secret) => {
    const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'));
    return expected.length === hex.length && timingSafeEqual(expected, Buffer.from(hex));
  });
}

/** findGitHubPackagesByRepository: packages registered at exactly https://github.com/<path>. */
function gitHubPackages(packages: PackageRegistry, path: string, user?: SandboxUser): SandboxPackage[] {
  const url = `https://github.com/${path}`.toLowerCase();
  return packages
    .all()
    .filter((pkg) => pkg.repository.toLowerCase() === url)
    .filter((pkg) => !user || pkg.maintainers.has(canonicalUsername(user.username)));
}

/** findPackagesByUrl: among the packages the user maintains, those whose repository is the named one. */
function packagesByUrl(
  packages: PackageRegistry,
  user: SandboxUser,
  url: string,
  pattern: UrlPatternName,
  requested: RepositoryUrlParts,
  remoteId: string | undefined,
): SandboxPackage[] {
  const username = canonicalUsername(user.username);
  if (requested.host === 'packagist.org') {
    const pkg = packages.byName(requested.path.replace(/^packages\//, ''));
    if (pkg?.maintainers.has(username)) return [pkg];
  }
  const found = packages
    .maintainedBy(username)
    .filter(
      (pkg) =>
        url === `https://packagist.org/packages/${pkg.name}` || sameRepository(pattern, requested, pkg.repository),
    );
  for (const pkg of found) {
    if (remoteId && !pkg.remoteId) pkg.remoteId = remoteId;
  }
  return found;
}

/**
 * POST /api/update-package (and /api/github, /api/bitbucket): ApiController::updatePackageAction and
 * receiveUpdateRequest, in Packagist's order: payload, URL pattern, GitHub signatures, token, packages.
 */
export function handleUpdatePackage(request: SandboxRequest, deps: UpdatePackageDependencies): SandboxResponse {
  const payload = readPayload(request);
  if (payload === undefined) return error(406, 'Missing payload parameter');
  const named = updateRequestUrl(payload);
  if (!named) return error(406, 'Missing or invalid payload');
  // PHP would throw a TypeError on a URL that is not a string: Symfony's 500 page.
  if (typeof named.url !== 'string') return htmlResponse(500, 'Internal Server Error');

  const url = named.url.replaceAll('https://api.github.com/repos', 'https://github.com');
  // The URL is parsed before anything is looked up, so a malformed one never reaches authentication.
  const match = matchRepositoryUrl(named.pattern, url);
  if (!match) return error(406, 'Could not parse payload repository URL');
  const remoteId = named.remoteId ? `${match.host}/${named.remoteId}` : undefined;

  // A short-lived credential from the OIDC exchange: good for its own package only, until it expires.
  const bearer = bearerCredentials(request);
  const trusted = deps.oidc?.checkCredential(bearer?.username, bearer?.token);
  if (trusted) {
    if (!trusted.ok) return error(403, trusted.message);
    const matching = deps.packages
      .all()
      .filter(
        (pkg) =>
          url === `https://packagist.org/packages/${pkg.name}` || sameRepository(named.pattern, match, pkg.repository),
      );
    const own = matching.filter((pkg) => pkg.name.toLowerCase() === trusted.packageName.toLowerCase());
    if (own.length === 0 && matching.length > 0) {
      return error(403, `The trusted publisher credential is valid for ${trusted.packageName} only`);
    }
    if (own.length === 0) {
      return error(404, 'Could not find a package that matches this request (does user maintain the package?)');
    }
    return jsonResponse(202, {
      status: 'success',
      jobs: own.map((pkg) => deps.jobs.schedule(pkg.name)),
      type: 'trusted_publisher',
    });
  }

  const signature = headerValue(request, 'x-hub-signature-256');
  const hasBody = request.body.length > 0;
  let packages: SandboxPackage[] = [];
  let user: SandboxUser | undefined;
  let receiveType: ReceiveType = 'manual';

  // A GitHub webhook whose secret is the API token of the user named in the query.
  const hookUsername = lastParam(request.query, 'username');
  if (match.host === 'github.com' && hasBody && hookUsername !== undefined && signature !== undefined) {
    const hookUser = deps.users.byUsername(hookUsername);
    if (signature && hookUser?.active) {
      if (!validSignature(signature, request.body, [hookUser.mainToken, hookUser.safeToken])) {
        return error(
          403,
          `Secret should be the Packagist API Token for the Packagist user "${hookUsername}". Signature verification failed.`,
        );
      }
      user = hookUser;
      packages = gitHubPackages(deps.packages, match.path, hookUser);
      receiveType = 'github_user_secret';
    }
  }

  user ??= deps.users.findUser(request, 'safe');

  // Packagist's own GitHub integration, signed with its app secret.
  if (!user && match.host === 'github.com' && hasBody && signature) {
    if (!validSignature(signature, request.body, [deps.githubWebhookSecret])) {
      return error(
        403,
        'Invalid github signature. Delete this webhook and recreate it using the manual account sync trigger from https://packagist.org/about#how-to-update-packages',
      );
    }
    packages = gitHubPackages(deps.packages, match.path);
    receiveType = 'github_auto';
  }

  if (packages.length === 0) {
    if (!user) return error(403, 'Missing or invalid username/apiToken in request');
    packages = packagesByUrl(deps.packages, user, url, named.pattern, match, remoteId);
  }
  if (packages.length === 0) {
    return error(404, 'Could not find a package that matches this request (does user maintain the package?)');
  }

  const jobs = packages.map((pkg) => deps.jobs.schedule(pkg.name));
  return jsonResponse(202, { status: 'success', jobs, type: receiveType });
}
