import { PhpublishError } from '../errors/index.js';

/** Packagist's own pattern for repository URLs (REGEXES['any'] in its source), checked before anything else. */
export const PACKAGIST_REPOSITORY_URL_PATTERN =
  /^(?:ssh:\/\/git@|https?:\/\/|git:\/\/|git@)?(?<host>[a-z0-9.-]+)(?::[0-9]+\/|[:/])(?<path>[\w.-]+(?:\/[\w.-]+?)*)(?:\.git|\/)?$/i;

const SCP_LIKE = /^(?:[^@/\s]+@)?(?<host>[^:/\s]+):(?!\/\/)(?<path>.+)$/;

/** A `.` or `..` path segment, also percent-encoded: URL parsing would resolve it into another repository. */
const DOT_SEGMENT = /(?:^|[/\\:])(?:\.|%2e){1,2}(?=[/\\?#]|$)/i;

/**
 * Turns any form of a repository URL (https with embedded credentials, `git+https`, ssh, scp-like
 * `git@host:o/r.git`) into the public `https://host/path` form. Release tools hand us URLs with git
 * tokens in them; this is the only form phpublish ever sends, logs or stores.
 */
export function toPublicRepositoryUrl(raw: string): string {
  const input = raw.trim().replace(/^git\+/, '');
  // `https://github.com/../../evil` would otherwise become https://github.com/evil: refused, not resolved.
  if (DOT_SEGMENT.test(input))
    throw new PhpublishError('REPOSITORY_URL_INVALID', { url: describeWithoutCredentials(input) });
  let host: string;
  let path: string;
  let scheme = 'https:';
  let port = '';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new PhpublishError('REPOSITORY_URL_INVALID', { url: describeWithoutCredentials(input) });
    }
    if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol)) {
      throw new PhpublishError('REPOSITORY_URL_INVALID', { url: describeWithoutCredentials(input) });
    }
    host = url.hostname;
    path = decodeURIComponent(url.pathname);
    // An http(s) port is part of the public address; an ssh port is not the web server's.
    if (url.protocol === 'http:' || url.protocol === 'https:') {
      scheme = url.protocol;
      port = url.port ? `:${url.port}` : '';
    }
  } else {
    const match = SCP_LIKE.exec(input);
    if (!match?.groups) throw new PhpublishError('REPOSITORY_URL_INVALID', { url: describeWithoutCredentials(input) });
    host = match.groups['host']!.toLowerCase();
    path = match.groups['path']!;
  }
  path = path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  const publicUrl = `${scheme}//${host}${port}/${path}`;
  if (!path || !PACKAGIST_REPOSITORY_URL_PATTERN.test(publicUrl)) {
    throw new PhpublishError('REPOSITORY_URL_INVALID', { url: describeWithoutCredentials(input) });
  }
  return publicUrl;
}

/** Whether a repository URL carries credentials (so that callers can say they were stripped). */
export function hasCredentials(raw: string): boolean {
  try {
    const url = new URL(raw.trim().replace(/^git\+/, ''));
    return url.password !== '' || (url.username !== '' && url.protocol !== 'ssh:');
  } catch {
    return false;
  }
}

/** For error messages about a URL we could not parse: never echo what might be a credential. */
function describeWithoutCredentials(input: string): string {
  return input.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1[redacted]@');
}

/**
 * Whether two repository URLs name the same repository the way Packagist matches them: host and
 * path case-insensitively; scheme, port, `.git` and a trailing slash ignored.
 */
export function sameRepository(a: string, b: string): boolean {
  const key = (u: string) => {
    const url = new URL(toPublicRepositoryUrl(u));
    return `${url.hostname}${url.pathname}`.toLowerCase();
  };
  return key(a) === key(b);
}

/**
 * The repository URL to tell Packagist, from (in order) the option, what the host tool knows, the
 * CI's variables. Pure: the `origin` remote fallback is read by the caller, who has a cwd.
 */
export function repositoryUrlFromEnvironment(env: Record<string, string | undefined>): string | undefined {
  if (env['GITHUB_SERVER_URL'] && env['GITHUB_REPOSITORY']) {
    return `${env['GITHUB_SERVER_URL'].replace(/\/+$/, '')}/${env['GITHUB_REPOSITORY']}`;
  }
  if (env['CI_PROJECT_URL']) return env['CI_PROJECT_URL'];
  return undefined;
}
