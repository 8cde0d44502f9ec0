/**
 * How Packagist reads repository URLs: the patterns of ApiController::REGEXES, the comparison that finds a
 * user's packages by URL, and the normalisation Package::setRepository applies when a package is submitted.
 */

export type UrlPatternName = 'gitlab' | 'any' | 'bitbucket_push' | 'bitbucket_hook';

// PCRE's `$` also matches before a final newline; `(?=\n?$)` keeps that. The `i` flag is Packagist's.
export const URL_PATTERNS: Readonly<Record<UrlPatternName, RegExp>> = {
  gitlab:
    /^(?:ssh:\/\/git@|https?:\/\/|git:\/\/|git@)?(?<host>[a-z0-9.-]+)(?::[0-9]+\/|[:/])(?<path>[\w.-]+(?:\/[\w.-]+?)+)(?:\.git|\/)?(?=\n?$)/i,
  any: /^(?:ssh:\/\/git@|https?:\/\/|git:\/\/|git@)?(?<host>[a-z0-9.-]+)(?::[0-9]+\/|[:/])(?<path>[\w.-]+(?:\/[\w.-]+?)*)(?:\.git|\/)?(?=\n?$)/i,
  bitbucket_push:
    /^(?:https?:\/\/|git:\/\/|git@)?(?:api\.)?(?<host>bitbucket\.org)[/:](?<path>[\w.-]+\/[\w.-]+?)(?:\.git)?\/?(?=\n?$)/i,
  bitbucket_hook:
    /^(?:https?:\/\/|git:\/\/|git@)?(?<host>bitbucket\.org)[/:](?<path>[\w.-]+\/[\w.-]+?)(?:\.git)?\/?(?=\n?$)/i,
};

export interface RepositoryUrlParts {
  readonly host: string;
  readonly path: string;
}

export function matchRepositoryUrl(pattern: UrlPatternName, url: string): RepositoryUrlParts | undefined {
  const groups = URL_PATTERNS[pattern].exec(url)?.groups;
  if (!groups?.['host'] || groups['path'] === undefined) return undefined;
  return { host: groups['host'], path: groups['path'] };
}

/**
 * Whether a package's stored repository URL is the one a request names (findPackagesByUrl): both must
 * match the same pattern, and host and path are compared case-insensitively. Scheme, port, `.git` and a
 * trailing slash fall outside the groups, so they do not count; `www.` is part of the host, so it does.
 */
export function sameRepository(pattern: UrlPatternName, requested: RepositoryUrlParts, storedUrl: string): boolean {
  const stored = matchRepositoryUrl(pattern, storedUrl);
  return (
    stored !== undefined &&
    stored.host.toLowerCase() === requested.host.toLowerCase() &&
    stored.path.toLowerCase() === requested.path.toLowerCase()
  );
}

/**
 * A key that identifies a hosted repository however its URL is written, for finding the local git
 * directory that stands in for it. GitHub ignores `www.` and case; so does this.
 */
export function repositoryKey(url: string): string {
  const parts = matchRepositoryUrl('any', url);
  if (!parts) return url;
  const host = parts.host.toLowerCase().replace(/^www\.github\.com$/, 'github.com');
  return `${host}/${parts.path.toLowerCase()}`;
}

/** Owner and name of a GitHub repository URL in any of the forms Composer's GitHub driver accepts. */
export function gitHubRepositoryUrl(url: string): { owner: string; name: string } | undefined {
  const match =
    /^(?:(?:https?|git):\/\/(?:www\.)?github\.com\/|git@github\.com:\/?)(?<owner>[^/]+)\/(?<name>[^/]+?)(?:\.git|\/)?$/i.exec(
      url,
    );
  if (!match?.groups) return undefined;
  return { owner: match.groups['owner']!, name: match.groups['name']! };
}

/**
 * Package::setRepository's rewriting of a submitted URL: GitHub, GitLab and Bitbucket URLs in their
 * ssh/git forms become https, `.git`, a trailing slash and GitHub sub-paths (`/tree/main/x`) are dropped,
 * and the scheme is lowercased. Undefined for local paths, which Packagist ignores.
 */
export function normalizeSubmittedUrl(submitted: string): string | undefined {
  if (/^(\.|[a-z]:|\/)/i.test(submitted)) return undefined;
  let url = submitted;
  url = url.replace(/^git@github\.com:/i, 'https://github.com/');
  url = url.replace(/^git:\/\/github\.com\//i, 'https://github.com/');
  url = url.replace(/^(https:\/\/github\.com\/.*?)\.git$/i, '$1');
  url = url.replace(/^(https:\/\/github\.com\/.*?)\/$/i, '$1');
  // PCRE's possessive `[^/]++).+` there: only a `/…` after the repository name is cut.
  url = url.replace(/^(https:\/\/github\.com\/[^/]+\/[^/]+)\/.*$/i, '$1');
  url = url.replace(/^git@gitlab\.com:/i, 'https://gitlab.com/');
  url = url.replace(/^https?:\/\/(?:www\.)?gitlab\.com\/(.*?)\.git$/i, 'https://gitlab.com/$1');
  url = url.replace(/^git@+bitbucket\.org:/i, 'https://bitbucket.org/');
  url = url.replace(/^bitbucket\.org:/i, 'https://bitbucket.org/');
  url = url.replace(/^https:\/\/[a-z0-9_-]*@bitbucket\.org\//i, 'https://bitbucket.org/');
  url = url.replace(/^(https:\/\/bitbucket\.org\/[^/]+\/[^/]+)\/src\/[^.]+/i, '$1.git');
  url = url.replace(/^(https?|git|svn):\/\//i, (_, scheme: string) => `${scheme.toLowerCase()}://`);
  return url;
}
