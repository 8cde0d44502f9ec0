import { ciName, detectCiPlatform } from '../attest/ci.js';
import { claim } from '../attest/id-token.js';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { DEFAULT_RETRY, type HttpDeps } from '../http/index.js';
import { type PackageVersion, PackagistClient, referenceOf } from '../packagist/index.js';
import type { ReleaseContext } from '../release/context.js';
import { PrivatePackagistClient } from './client.js';

/** Where the organisation publishes and where its Composer repository is read. */
export interface PrivatePackagistSettings {
  organization: string;
  /** e.g. https://packagist.com */
  url: string;
  /** e.g. https://repo.packagist.com/acme-org */
  repositoryUrl: string;
  /** As configured; `auto` is decided from the organisation's Composer repository (see `packageTypeOf`). */
  packageType: 'auto' | 'artifact' | 'vcs';
}

/** The settings of `packagist.privatePackagist`, or the coded error for a missing organisation. */
export function privatePackagistSettings(context: ReleaseContext): PrivatePackagistSettings {
  const { organization, url, repositoryUrl, packageType } = context.config.options.packagist.privatePackagist;
  if (!organization) throw new PhpublishError('PRIVATE_PACKAGIST_ORGANIZATION_MISSING');
  return {
    organization,
    url,
    repositoryUrl: repositoryUrl ?? `https://repo.packagist.com/${organization}`,
    packageType,
  };
}

/**
 * Whether the package is published as an artifact (the dist zip, with trusted publishing) or is a
 * VCS package that Private Packagist reads from its repository. `auto` decides from the versions the
 * organisation's repository lists: entries with a `source` come from a repository; a package that is
 * not listed (or cannot be read) is published as an artifact, which creates it on the first release.
 */
export function packageTypeOf(
  settings: PrivatePackagistSettings,
  versions: readonly PackageVersion[] | undefined,
): 'artifact' | 'vcs' {
  if (settings.packageType !== 'auto') return settings.packageType;
  return versions?.some((version) => version.source?.reference !== undefined) ? 'vcs' : 'artifact';
}

/** Private Packagist trusts GitHub Actions' tokens only: any other run gets the coded refusal. */
export function requireGitHubActions(context: ReleaseContext): void {
  const platform = detectCiPlatform(context.env);
  if (platform !== 'github-actions') {
    throw new PhpublishError('PRIVATE_PACKAGIST_CI_UNSUPPORTED', {
      ci: platform ? ciName(platform) : 'not in a CI job phpublish recognises',
    });
  }
}

export function httpDepsFor(context: ReleaseContext): HttpDeps {
  return {
    dispatcher: context.dispatcher,
    clock: context.clock,
    userAgent: context.userAgent,
    timeoutMs: context.config.options.packagist.requestTimeout * 1000,
    retry: { ...DEFAULT_RETRY, ...context.retry },
    onRetry: ({ url, attempt, delayMs, reason }) =>
      context.logger.info(
        `Private Packagist: ${reason} from ${context.redactor.redact(url)}; retrying in ${Math.round(delayMs / 100) / 10} s (attempt ${attempt + 1})`,
      ),
  };
}

export function apiClientFor(context: ReleaseContext, settings: PrivatePackagistSettings): PrivatePackagistClient {
  return new PrivatePackagistClient({ baseUrl: settings.url, http: httpDepsFor(context), redactor: context.redactor });
}

/** Reads the organisation's Composer repository (p2 metadata) like Packagist's, with no credentials. */
export function repositoryClientFor(context: ReleaseContext, settings: PrivatePackagistSettings): PackagistClient {
  const http = httpDepsFor(context);
  return new PackagistClient({
    apiUrl: settings.url,
    repoUrl: settings.repositoryUrl,
    dispatcher: http.dispatcher,
    clock: http.clock,
    userAgent: http.userAgent,
    timeoutMs: http.timeoutMs,
    retry: http.retry,
    ...(http.onRetry ? { onRetry: http.onRetry } : {}),
  });
}

/** `acme/hello/.github/workflows/release.yml@refs/tags/v1.0.0`, as the token names the run, for messages. */
export function workflowOfClaims(claims: Readonly<Record<string, unknown>>): string {
  return claim(claims, 'workflow_ref') || '(unknown workflow)';
}

/** The package's versions in the organisation's repository; undefined when it has none or cannot be read. */
export async function listedVersions(
  context: ReleaseContext,
  settings: PrivatePackagistSettings,
  packageName: string,
): Promise<PackageVersion[] | undefined> {
  try {
    const result = await repositoryClientFor(context, settings).getVersions(packageName);
    return result.state === 'found' ? result.versions : undefined;
  } catch (error) {
    if (!isPhpublishError(error)) throw error;
    context.logger.info(`Private Packagist: the Composer repository could not be read (${error.message}).`);
    return undefined;
  }
}

/** The package's kind on Private Packagist, as publish will decide it (for doctor and messages). */
export async function privatePackagistPackageType(
  context: ReleaseContext,
  packageName: string,
): Promise<'artifact' | 'vcs'> {
  const settings = privatePackagistSettings(context);
  if (settings.packageType !== 'auto') return settings.packageType;
  return packageTypeOf(settings, await listedVersions(context, settings, packageName));
}

/** The error when a listed version points at another commit than the tag: Private Packagist keeps what it read first. */
export function otherCommitProblem(
  entry: PackageVersion,
  packageName: string,
  release: { version: string; commit: string },
): PhpublishError | undefined {
  const reference = referenceOf(entry);
  if (reference === release.commit) return undefined;
  return new PhpublishError('PACKAGIST_VERSION_AT_OTHER_COMMIT', {
    packageName,
    version: release.version,
    expected: release.commit,
    actual: reference ?? '(none)',
  });
}
