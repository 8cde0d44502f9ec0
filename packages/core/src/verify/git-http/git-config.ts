import { type GitRunOptions, runGit } from '../../git/run.js';

/**
 * What of the user's git configuration decides how git would reach a repository over HTTP:
 * `url.<base>.insteadOf` rewrites, and whether any setting or variable changes how git makes
 * HTTP requests (proxies, extra headers, certificates), in which case only git itself may fetch.
 */
export interface GitHttpConfig {
  /** In configuration order (system, global, then the environment's GIT_CONFIG_COUNT entries). */
  rewrites: readonly UrlRewrite[];
  /** The first setting that makes git's HTTP differ from a plain request, if any (its name only). */
  customHttp: string | undefined;
}

export interface UrlRewrite {
  /** What a URL starting with `prefix` is rewritten to start with instead. */
  base: string;
  prefix: string;
}

/** Settings under which git's requests are not what a plain HTTPS request would be. */
const CUSTOM_HTTP_KEY =
  /^http\.(?:.*\.)?(?:proxy|proxyauthmethod|extraheader|sslcainfo|sslcapath|sslcert|sslkey|sslverify|sslbackend|cookiefile|emptyauth|curloptresolve)$/;
const CUSTOM_HTTP_ENV = [
  'http_proxy',
  'https_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'all_proxy',
  'ALL_PROXY',
  'GIT_SSL_NO_VERIFY',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'GIT_SSL_CERT',
  'GIT_SSL_KEY',
  'GIT_CURL_VERBOSE',
  'GIT_TRACE_CURL',
];

/** `key=value` pairs of the environment's GIT_CONFIG_COUNT / GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n. */
export function environmentConfig(env: Record<string, string | undefined>): [string, string][] {
  const count = Number(env['GIT_CONFIG_COUNT'] ?? 0);
  if (!Number.isInteger(count) || count <= 0) return [];
  const pairs: [string, string][] = [];
  for (let i = 0; i < count; i++) {
    const key = env[`GIT_CONFIG_KEY_${i}`];
    if (key) pairs.push([key, env[`GIT_CONFIG_VALUE_${i}`] ?? '']);
  }
  return pairs;
}

/** The output of `git config -z --get-regexp`: `key\nvalue\0` per entry. */
export function parseConfigListing(output: string): [string, string][] {
  return output
    .split('\0')
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const newline = entry.indexOf('\n');
      return newline === -1 ? [entry, ''] : [entry.slice(0, newline), entry.slice(newline + 1)];
    });
}

/**
 * The configuration from key/value pairs in git's order. Section and variable names are
 * case-insensitive in git, the `<base>` subsection is not.
 */
export function gitHttpConfigFrom(
  pairs: readonly [string, string][],
  env: Record<string, string | undefined>,
): GitHttpConfig {
  const rewrites: UrlRewrite[] = [];
  const seen = new Set<string>();
  let customHttp = CUSTOM_HTTP_ENV.find((name) => env[name]);
  for (const [key, value] of pairs) {
    const rewrite = /^url\.(.+)\.insteadof$/is.exec(key);
    if (rewrite) {
      const entry = { base: rewrite[1]!, prefix: value };
      const id = `${entry.base}\0${entry.prefix}`;
      if (!seen.has(id)) rewrites.push(entry);
      seen.add(id);
    } else if (customHttp === undefined && CUSTOM_HTTP_KEY.test(key.toLowerCase())) {
      // The variable only: a `http.<url>.*` subsection may hold credentials.
      customHttp = `http.${key.split('.').at(-1)}`;
    }
  }
  return { rewrites, customHttp };
}

/**
 * The URL git would fetch from: the base of the rewrite with the longest matching prefix (the
 * first one in configuration order among equally long ones), as git's `alias_url` does.
 */
export function rewriteUrl(url: string, rewrites: readonly UrlRewrite[]): string {
  let best: UrlRewrite | undefined;
  for (const rewrite of rewrites) {
    if (!url.startsWith(rewrite.prefix)) continue;
    if (!best || rewrite.prefix.length > best.prefix.length) best = rewrite;
  }
  return best ? best.base + url.slice(best.prefix.length) : url;
}

/**
 * Reads the configuration once, with one git process: what `git fetch` run from `options.cwd`
 * (a scratch directory, outside any repository) would see — system, global and the environment's
 * entries. When git cannot be asked, the environment's entries alone.
 */
export async function readGitHttpConfig(options: GitRunOptions): Promise<GitHttpConfig> {
  const env = options.env ?? {};
  let pairs: [string, string][] = [];
  try {
    const result = await runGit(['config', '-z', '--get-regexp', '^(url\\..*\\.insteadof|http\\..*)$'], options);
    // Exit code 1: no such setting.
    if (result.exitCode === 0) pairs = parseConfigListing(result.stdout.toString('utf8'));
  } catch {
    // git is missing: its fallback will say so; the environment's rewrites still apply.
  }
  return gitHttpConfigFrom([...pairs, ...environmentConfig(env)], env);
}
