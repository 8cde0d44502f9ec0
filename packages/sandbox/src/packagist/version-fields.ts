import { asPhpArrays } from '../php-json.js';
import type { VersionArray } from './metadata-minifier.js';
import type { SandboxPackage, StoredVersion } from './packages.js';

/** What Packagist's Updater keeps of a composer.json for one version (the Version entity's columns). */
export interface VersionFields {
  readonly description: string | null;
  readonly keywords: string[];
  readonly homepage: string | null;
  readonly license: string[];
  readonly authors: Record<string, string>[];
  readonly source: Record<string, string> | null;
  readonly dist: Record<string, string> | null;
  readonly type: string;
  readonly support: Record<string, string>;
  readonly funding: Record<string, string>[];
  readonly autoload: unknown;
  readonly extra: unknown;
  readonly targetDir: string | null;
  readonly includePaths: string[];
  readonly binaries: string[];
  readonly links: Readonly<Record<LinkType, Record<string, string>>>;
}

export type LinkType = 'require' | 'require-dev' | 'suggest' | 'conflict' | 'provide' | 'replace';
/** The order Version::toArray writes them in. */
const LINK_TYPES: readonly LinkType[] = ['require', 'require-dev', 'suggest', 'conflict', 'provide', 'replace'];

export interface VersionOrigin {
  readonly source: { url: string; reference: string };
  readonly dist: { url: string; reference: string; shasum: string };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
/** PHP's empty(): null, false, 0, '', '0' and empty arrays. */
const phpEmpty = (value: unknown) =>
  value === undefined ||
  value === null ||
  value === false ||
  value === 0 ||
  value === '' ||
  value === '0' ||
  (Array.isArray(value) && value.length === 0) ||
  (isObject(value) && Object.keys(value).length === 0);

/** Updater::filterUrl: only web URLs are kept as links. */
function filterUrl(url: string | null, schemes: readonly string[] = ['http', 'https']): string | null {
  if (url === null || url === '') return url;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? '';
  return schemes.includes(scheme) ? url : null;
}

/**
 * MySQL normalises JSON columns: object keys shorter first, then bytewise. Packagist stores source, dist,
 * autoload, extra, support, funding and authors in such columns, which is why real p2 metadata writes
 * `{"url":…,"type":…,"reference":…}`. Clients must not rely on key order; this keeps them honest.
 */
export function mysqlJsonOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mysqlJsonOrder);
  if (!isObject(value)) return value;
  const keys = Object.keys(value).sort((a, b) => {
    const byLength = Buffer.byteLength(a) - Buffer.byteLength(b);
    return byLength !== 0 ? byLength : Buffer.compare(Buffer.from(a), Buffer.from(b));
  });
  return Object.fromEntries(keys.map((key) => [key, mysqlJsonOrder(value[key])]));
}

function authorsFrom(value: unknown): Record<string, string>[] {
  if (phpEmpty(value) || !Array.isArray(value)) return [];
  const authors: Record<string, string>[] = [];
  for (const data of value) {
    if (!isObject(data)) continue;
    // Skip authors with no information.
    if (data['email'] == null && data['name'] == null) continue;
    const author: Record<string, string> = {};
    for (const field of ['email', 'name', 'homepage', 'role']) {
      const raw = data[field];
      if (!isString(raw)) continue;
      let text = raw.trim();
      if (field === 'homepage') text = filterUrl(text) ?? '';
      if (text !== '') author[field] = text;
    }
    authors.push(author);
  }
  return authors;
}

function keywordsFrom(value: unknown): string[] {
  if (phpEmpty(value) || !Array.isArray(value)) return [];
  const byLowercase = new Map<string, string>();
  for (const keyword of value.map(String)) {
    if (keyword === '') continue;
    byLowercase.set(keyword.toLowerCase(), keyword);
  }
  return [...byLowercase.values()];
}

/** Updater: a constraint like `>=1.0@beta,<2` loses its stability flags the way Packagist rewrites it. */
function rewriteStabilityFlags(constraint: string): string {
  if (!constraint.includes(',') || !constraint.includes('@')) return constraint;
  return constraint.replace(/([><]=?\s*[^@]+?)@([a-z]+)/gi, (_, bound: string, flag: string) =>
    flag === 'stable' ? bound : `${bound}-${flag}`,
  );
}

function linksFrom(value: unknown, type: LinkType): Record<string, string> {
  const links: Record<string, string> = {};
  if (!isObject(value)) return links;
  for (const [target, constraint] of Object.entries(value)) {
    if (type === 'suggest') {
      links[target] = String(constraint);
    } else if (isString(constraint)) {
      // Composer's loader lowercases link targets.
      links[target.toLowerCase()] = rewriteStabilityFlags(constraint);
    }
  }
  return links;
}

function supportFrom(value: unknown): Record<string, string> {
  const support: Record<string, string> = {};
  if (!isObject(value)) return support;
  for (const [key, item] of Object.entries(value)) if (isString(item)) support[key] = item;
  for (const key of ['issues', 'forum', 'wiki', 'source', 'docs', 'rss', 'security']) {
    if (support[key] !== undefined && filterUrl(support[key]) === null) delete support[key];
  }
  for (const key of ['chat', 'irc']) {
    if (support[key] !== undefined && filterUrl(support[key], ['http', 'https', 'irc', 'ircs']) === null) {
      delete support[key];
    }
  }
  return support;
}

function fundingFrom(value: unknown): Record<string, string>[] {
  if (phpEmpty(value) || !Array.isArray(value)) return [];
  return value.filter(isObject).map((entry) => {
    const clean: Record<string, string> = {};
    if (isString(entry['type'])) clean['type'] = entry['type'];
    if (isString(entry['url'])) {
      const url = filterUrl(entry['url']);
      if (url !== null) clean['url'] = url;
    }
    return clean;
  });
}

const stringList = (value: unknown): string[] => (Array.isArray(value) ? value.filter(isString) : []);

/**
 * Composer's ArrayLoader followed by Packagist's Updater::updateInformation, for one version's
 * composer.json (already given its `version` and, for GitHub, `support.source`/`support.issues`).
 */
export function versionFieldsFrom(composer: Json, origin: VersionOrigin): VersionFields {
  const license = composer['license'];
  return {
    description:
      !phpEmpty(composer['description']) && isString(composer['description']) ? composer['description'] : null,
    keywords: keywordsFrom(composer['keywords']),
    homepage: filterUrl(
      !phpEmpty(composer['homepage']) && isString(composer['homepage']) ? composer['homepage'] : null,
    ),
    license: phpEmpty(license) ? [] : Array.isArray(license) ? license.map(String) : [String(license)],
    authors: authorsFrom(composer['authors']).map((author) => mysqlJsonOrder(author) as Record<string, string>),
    source: mysqlJsonOrder({ type: 'git', url: origin.source.url, reference: origin.source.reference }) as Record<
      string,
      string
    >,
    dist: mysqlJsonOrder({
      type: 'zip',
      url: origin.dist.url,
      reference: origin.dist.reference,
      shasum: origin.dist.shasum,
    }) as Record<string, string>,
    type: isString(composer['type']) && composer['type'] !== '' ? composer['type'].toLowerCase() : 'library',
    support: mysqlJsonOrder(supportFrom(composer['support'])) as Record<string, string>,
    funding: fundingFrom(composer['funding']).map((entry) => mysqlJsonOrder(entry) as Record<string, string>),
    autoload: mysqlJsonOrder(asPhpArrays(isObject(composer['autoload']) ? composer['autoload'] : [])),
    extra: mysqlJsonOrder(asPhpArrays(isObject(composer['extra']) ? composer['extra'] : [])),
    targetDir: isString(composer['target-dir']) ? composer['target-dir'] : null,
    includePaths: stringList(composer['include-path']),
    binaries: stringList(composer['bin']),
    links: Object.fromEntries(LINK_TYPES.map((type) => [type, linksFrom(composer[type], type)])) as Record<
      LinkType,
      Record<string, string>
    >,
  };
}

/** `Y-m-d\TH:i:sP` in UTC, as Packagist formats `time` and `published-time`. */
export function packagistTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
}

const AUTHOR_KEY_ORDER: Record<string, number> = { name: 1, email: 2, homepage: 3, role: 4 };

function sortAuthorKeys(author: Record<string, string>): Record<string, string> {
  const rank = (key: string) => AUTHOR_KEY_ORDER[key] ?? 5;
  const keys = Object.keys(author).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((key) => [key, author[key]!]));
}

const truthy = (value: unknown) => !phpEmpty(value);

/** Version::toV2Array: the object a p2 file lists for one version, keys in Packagist's order. */
export function toV2Array(pkg: SandboxPackage, version: StoredVersion): VersionArray {
  const fields = version.fields;
  const data: VersionArray = {
    name: pkg.name,
    description: fields.description ?? '',
    keywords: fields.keywords,
    homepage: fields.homepage ?? '',
    version: version.prettyVersion,
    version_normalized: version.normalizedVersion,
    license: fields.license,
    authors: fields.authors.map(sortAuthorKeys),
    source: fields.source,
    dist: fields.dist,
    type: fields.type,
  };
  if (truthy(fields.support)) {
    const keys = Object.keys(fields.support).sort();
    data['support'] = Object.fromEntries(keys.map((key) => [key, fields.support[key]]));
  }
  data['funding'] = [...fields.funding].sort((a, b) => {
    const keyA = (a['type'] ?? '') + (a['url'] ?? '');
    const keyB = (b['type'] ?? '') + (b['url'] ?? '');
    return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
  });
  if (version.releasedAt !== undefined) data['time'] = packagistTime(version.releasedAt);
  data['published-time'] = packagistTime(version.development ? version.updatedAt : version.createdAt);
  if (truthy(fields.autoload)) data['autoload'] = fields.autoload;
  if (truthy(fields.extra)) data['extra'] = fields.extra;
  if (fields.targetDir) data['target-dir'] = fields.targetDir;
  if (fields.includePaths.length > 0) data['include-path'] = fields.includePaths;
  if (fields.binaries.length > 0) data['bin'] = fields.binaries;
  if (version.defaultBranch) data['default-branch'] = true;
  for (const type of LINK_TYPES) {
    if (Object.keys(fields.links[type]).length > 0) data[type] = fields.links[type];
  }
  if (pkg.abandoned !== undefined) data['abandoned'] = pkg.abandoned;
  return data;
}
