import { formFields, headerValue, lastParam, type SandboxRequest } from '../http/exchange.js';
import type { UrlPatternName } from './repository-url.js';

type Json = Record<string, unknown>;

/** json_decode($text, true): null for anything that is not JSON. */
function phpJsonDecode(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** PHP's `!$value`. */
function phpFalsy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '' || value === '0') {
    return true;
  }
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/**
 * The webhook payload, read the way ApiController does: the form field `payload`, else the raw body, but
 * only when Content-Type is exactly `application/json` (so `application/json; charset=utf-8` is not read).
 * Undefined when there is none (Packagist's `Missing payload parameter`).
 */
export function readPayload(request: SandboxRequest): unknown {
  let payload = phpJsonDecode(lastParam(formFields(request), 'payload') ?? '');
  if (phpFalsy(payload) && headerValue(request, 'content-type') === 'application/json') {
    payload = phpJsonDecode(request.body.toString('utf8'));
  }
  if (phpFalsy(payload) || typeof payload !== 'object') return undefined;
  return payload;
}

/** PHP's `isset($value['a']['b'])`: each step an array with that key, the last one not null. */
export function valueAt(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Json)[key];
  }
  return current === null ? undefined : current;
}

/** PHP's string conversion, for the URL Packagist concatenates from an old Bitbucket hook. */
function phpString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value === true) return '1';
  if (value === false || value === null || value === undefined) return '';
  return 'Array';
}

export interface UpdateRequestUrl {
  /** Not always a string: a non-string URL makes Packagist fail with a PHP TypeError. */
  readonly url: unknown;
  readonly pattern: UrlPatternName;
  readonly remoteId: string | number | undefined;
}

/** Which repository an update-package payload names, by the first body shape that fits (ApiController). */
export function updateRequestUrl(payload: unknown): UpdateRequestUrl | undefined {
  const gitlabUrl = valueAt(payload, 'project', 'git_http_url');
  if (gitlabUrl !== undefined) return { url: gitlabUrl, pattern: 'gitlab', remoteId: undefined };

  const repository = valueAt(payload, 'repository');
  if (typeof repository === 'string') return { url: repository, pattern: 'any', remoteId: undefined };

  const githubUrl = valueAt(payload, 'repository', 'url');
  if (typeof githubUrl === 'string') {
    const id = valueAt(payload, 'repository', 'id');
    const remoteId = typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)) ? id : undefined;
    return { url: githubUrl, pattern: 'any', remoteId };
  }

  const bitbucketUrl = valueAt(payload, 'repository', 'links', 'html', 'href');
  if (bitbucketUrl !== undefined) return { url: bitbucketUrl, pattern: 'bitbucket_push', remoteId: undefined };

  const canonUrl = valueAt(payload, 'canon_url');
  const absoluteUrl = valueAt(payload, 'repository', 'absolute_url');
  if (canonUrl !== undefined && absoluteUrl !== undefined) {
    return { url: phpString(canonUrl) + phpString(absoluteUrl), pattern: 'bitbucket_hook', remoteId: undefined };
  }
  return undefined;
}

/** create-package's `{repository: string}` (or the older `{repository: {url: string}}`). */
export function createRequestUrl(payload: unknown): string | undefined {
  const legacy = valueAt(payload, 'repository', 'url');
  if (typeof legacy === 'string') return legacy;
  const repository = valueAt(payload, 'repository');
  return typeof repository === 'string' ? repository : undefined;
}
