import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxAudit } from '../audit.js';
import { headerValue, type SandboxRequest, type SandboxResponse } from '../http/exchange.js';
import { FaultInjector, type FaultRule } from '../http/faults.js';
import type { RecordedRequest } from '../http/request-log.js';
import { startStandInServer } from '../http/server.js';
import { createThrowawayTls } from '../tls/throwaway-ca.js';
import { createGitRef } from './git-refs.js';
import { snappyCompress, snappyFrame } from './snappy-encode.js';

export type GitHubPermission = 'read' | 'write';

/** The permissions of a GITHUB_TOKEN that matter here (`permissions:` in the workflow). */
export interface GitHubTokenPermissions {
  contents?: GitHubPermission;
  attestations?: GitHubPermission;
}

export interface SandboxReleaseAsset {
  readonly id: number;
  readonly name: string;
  readonly contentType: string;
  readonly content: Buffer;
}

export interface SandboxAttestation {
  readonly id: number;
  readonly repository: string;
  readonly bundle: Record<string, unknown>;
  /** `sha256:<hex>` of each subject of the bundle's statement: how GitHub indexes it. */
  readonly subjectDigests: readonly string[];
}

/**
 * How the attestations API lists a bundle: `inline` (the `bundle` object, as GitHub did until 2026),
 * or `"bundle": null` with a pre-signed `bundle_url` on blob storage serving it snappy-compressed —
 * as a snappy block (what GitHub serves), a framed snappy stream, or plain JSON (what consumers
 * also accept).
 */
export type AttestationBundleShape = 'inline' | 'by-reference' | 'by-reference-framed' | 'by-reference-json';

export interface SandboxGitHubOptions {
  readonly log?: (line: string) => void;
  /** How every repository's attestations are listed, unless `setAttestationBundles` says otherwise. `inline` by default. */
  readonly attestationBundles?: AttestationBundleShape;
  /** How long a `bundle_url` stays valid, in seconds (GitHub's are short-lived). 300 by default. */
  readonly bundleUrlLifetimeSeconds?: number;
  readonly host?: string;
  readonly port?: number;
  /**
   * Serve HTTPS the way GitHub Enterprise Server lays out its API (`/api/v3`, uploads under
   * `/api/uploads`), with a certificate from a throwaway CA (`caPem`, `caFile`): what tools that only
   * speak HTTPS to a GitHub host (release-it's `github.host`) can be pointed at.
   */
  readonly tls?: boolean;
}

/** A release as the sandbox holds it. */
export interface SandboxRelease {
  readonly id: number;
  readonly tag: string;
  readonly name: string;
  readonly body: string;
  readonly draft: boolean;
  readonly prerelease: boolean;
  /** Published while the repository had release immutability on: its assets and tag are frozen. */
  readonly immutable: boolean;
  readonly assets: readonly SandboxReleaseAsset[];
}

export interface SandboxGitHub {
  /** The REST API base (what GITHUB_API_URL holds); `https://127.0.0.1:<port>/api/v3` with `tls`. */
  readonly url: string;
  /** The same as `url`. */
  readonly apiUrl: string;
  /** `127.0.0.1:<port>`: the GitHub host, as release-it's `github.host` names one. */
  readonly host: string;
  /** With `tls`: the throwaway CA's certificate (PEM), and a file holding it (for NODE_EXTRA_CA_CERTS). */
  readonly caPem: string | undefined;
  readonly caFile: string | undefined;
  readonly requests: readonly RecordedRequest[];
  /** `collaborators`: the users with push access (the owner by default). */
  addRepository(
    fullName: string,
    init?: {
      id?: number;
      ownerId?: number;
      collaborators?: string[];
      immutableReleases?: boolean;
      attestationBundles?: AttestationBundleShape;
      /** A bare repository whose refs `POST /repos/:owner/:repo/git/refs` creates (changesets/action's tags). */
      gitDir?: string;
    },
  ): void;
  /**
   * A release of `tag` (what the release tool creates before phpublish attests): published, or a
   * draft with `draft`. Published while release immutability is on, it is immutable.
   */
  createRelease(fullName: string, tag: string, options?: { draft?: boolean }): { id: number };
  /**
   * The repository's "release immutability" setting: releases published while it is on keep their
   * assets and tag forever (turning it off later does not unfreeze them).
   */
  setImmutableReleases(fullName: string, enabled: boolean): void;
  /** How the attestations API lists this repository's bundles. */
  setAttestationBundles(fullName: string, shape: AttestationBundleShape): void;
  /**
   * A GITHUB_TOKEN for the repository with these permissions; with `user`, a user's token (a
   * fine-grained personal access token) for that repository instead.
   */
  issueToken(fullName: string, permissions: GitHubTokenPermissions, options?: { user?: string }): string;
  /** The assets of the published release of `tag` (else of its newest draft). */
  releaseAssets(fullName: string, tag: string): readonly SandboxReleaseAsset[];
  /** The notes (Markdown body) of the published release of `tag` (else of its newest draft). */
  releaseNotes(fullName: string, tag: string): string;
  /** Every release of the repository, drafts included, oldest first. */
  releases(fullName: string): readonly SandboxRelease[];
  attestations(fullName: string): readonly SandboxAttestation[];
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  close(): Promise<void>;
}

interface Release {
  id: number;
  tag: string;
  name: string;
  body: string;
  draft: boolean;
  prerelease: boolean;
  immutable: boolean;
  assets: SandboxReleaseAsset[];
}

interface Repository {
  fullName: string;
  id: number;
  ownerId: number;
  /** Lower-case logins. */
  collaborators: Set<string>;
  /** Oldest first; several drafts may share a tag, at most one published release has it. */
  releases: Release[];
  immutableReleases: boolean;
  attestationBundles: AttestationBundleShape | undefined;
  gitDir: string | undefined;
}

interface IssuedToken {
  /** Lower-case `owner/name`. */
  repository: string;
  permissions: GitHubTokenPermissions;
  /** A user's token; an installation token (GITHUB_TOKEN) when absent. */
  user?: string;
}

const REPO = '/repos/([^/]+)/([^/]+)';
const RELEASES = new RegExp(`^${REPO}/releases$`);
const LATEST_RELEASE = new RegExp(`^${REPO}/releases/latest$`);
const RELEASE_BY_TAG = new RegExp(`^${REPO}/releases/tags/(.+)$`);
const UPLOAD = new RegExp(`^/uploads${REPO}/releases/(\\d+)/assets$`);
const ASSET = new RegExp(`^${REPO}/releases/assets/(\\d+)$`);
const RELEASE_BY_ID = new RegExp(`^${REPO}/releases/(\\d+)$`);
const COLLABORATOR = new RegExp(`^${REPO}/collaborators/([^/]+)$`);
const STORAGE = /^\/_storage\/release-assets\/(\d+)$/;
const ATTESTATIONS = new RegExp(`^${REPO}/attestations$`);
const ATTESTATIONS_BY_DIGEST = new RegExp(`^${REPO}/attestations/(sha256:[0-9a-f]{64})$`);
const IMMUTABLE_RELEASES = new RegExp(`^${REPO}/immutable-releases$`);
const GIT_REFS = new RegExp(`^${REPO}/git/refs$`);
const BUNDLE_STORAGE = /^\/_storage\/attestations\/(\d+)\.json\.sn$/;

/** What blob storage answers a request it refuses (Azure's and S3's XML error shape). */
const storageError = (status: number, code: string, text: string): SandboxResponse => ({
  status,
  headers: { 'content-type': 'application/xml' },
  body: `<Error><Code>${code}</Code><Message>${text}</Message></Error>`,
});

/**
 * The route of a request path. In GitHub Enterprise Server's layout the REST API is under /api/v3 and
 * uploads under /api/uploads, and nothing else answers there (a client that drops the prefix gets 404).
 */
function routeOf(path: string, enterprise: boolean): string | undefined {
  if (!enterprise || path.startsWith('/_storage/')) return path;
  if (path.startsWith('/api/v3/')) return path.slice('/api/v3'.length);
  if (path.startsWith('/api/uploads/')) return path.slice('/api'.length);
  return undefined;
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): SandboxResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(value),
});
const message = (status: number, text: string) =>
  json(status, { message: text, documentation_url: 'https://docs.github.com/rest' });

/** The sha256 subject digests of an attestation bundle's in-toto statement. */
function subjectDigestsOf(bundle: Record<string, unknown>): string[] {
  try {
    const payload = (bundle['dsseEnvelope'] as { payload: string }).payload;
    const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as {
      subject: { digest: Record<string, string> }[];
    };
    return statement.subject.flatMap((s) => (s.digest['sha256'] ? [`sha256:${s.digest['sha256']}`] : []));
  } catch {
    return [];
  }
}

/**
 * GitHub's REST API where a release tool and attestation meet it, on 127.0.0.1: the calls release-it's
 * GitHub plugin makes (authenticated user, collaborator check, create, list and update releases),
 * releases by tag (drafts hidden, as on GitHub), release-asset upload (on an uploads path, like
 * uploads.github.com) and download (a redirect to pre-signed storage that refuses a second
 * credential), and the attestations API. Tokens carry workflow permissions, and missing ones get
 * GitHub's "Resource not accessible by integration".
 */
export async function startSandboxGitHub(options: SandboxGitHubOptions = {}): Promise<SandboxGitHub> {
  const log = options.log ?? (() => {});
  const enterprise = options.tls === true;
  const repositories = new Map<string, Repository>();
  const tokens = new Map<string, IssuedToken>();
  const storedAttestations: SandboxAttestation[] = [];
  const faults = new FaultInjector();
  const requests: RecordedRequest[] = [];
  let nextId = 1000;
  /** Scheme, host and port. */
  let origin = '';
  let apiBase = '';
  let uploadsBase = '';

  const repositoryOf = (owner: string, name: string) =>
    repositories.get(`${decodeURIComponent(owner)}/${decodeURIComponent(name)}`.toLowerCase());

  /** undefined: anonymous; null: a token GitHub does not know. */
  const caller = (request: SandboxRequest) => {
    const authorization = headerValue(request, 'authorization');
    if (!authorization) return undefined;
    const token = authorization.replace(/^(Bearer|token)\s+/i, '');
    return tokens.get(token) ?? null;
  };

  const allowed = (request: SandboxRequest, repository: Repository, permission: keyof GitHubTokenPermissions) => {
    const who = caller(request);
    return who?.repository === repository.fullName.toLowerCase() && who.permissions[permission] === 'write';
  };
  /** Drafts are visible only to those who may push (`contents: write`), as on GitHub. */
  const visible = (request: SandboxRequest, repository: Repository) => (release: Release) =>
    !release.draft || allowed(request, repository, 'contents');
  const refused = () => message(403, 'Resource not accessible by integration');

  const assetJson = (repository: Repository, asset: SandboxReleaseAsset) => ({
    id: asset.id,
    name: asset.name,
    content_type: asset.contentType,
    size: asset.content.length,
    // GitHub lists each asset's digest (since 2025).
    digest: `sha256:${createHash('sha256').update(asset.content).digest('hex')}`,
    state: 'uploaded',
    url: `${apiBase}/repos/${repository.fullName}/releases/assets/${asset.id}`,
    browser_download_url: `${origin}/_storage/release-assets/${asset.id}`,
  });

  const releaseJson = (repository: Repository, release: Release) => ({
    url: `${apiBase}/repos/${repository.fullName}/releases/${release.id}`,
    html_url: `${origin}/${repository.fullName}/releases/tag/${encodeURIComponent(release.tag)}`,
    id: release.id,
    tag_name: release.tag,
    name: release.name,
    body: release.body,
    draft: release.draft,
    prerelease: release.prerelease,
    // GitHub's release object says whether the release is immutable (since 2025).
    immutable: release.immutable,
    upload_url: `${uploadsBase}/repos/${repository.fullName}/releases/${release.id}/assets{?name,label}`,
    assets: release.assets.map((asset) => assetJson(repository, asset)),
  });

  const published = (repository: Repository, tag: string) =>
    repository.releases.find((release) => release.tag === tag && !release.draft);
  const releaseById = (repository: Repository | undefined, id: string) =>
    repository?.releases.find((release) => release.id === Number(id));

  const findAsset = (id: number) => {
    for (const repository of repositories.values()) {
      for (const release of repository.releases) {
        const asset = release.assets.find((candidate) => candidate.id === id);
        if (asset) return { repository, asset };
      }
    }
    return undefined;
  };

  /** The JSON object of a request body; undefined when it is not one. */
  const jsonObject = (request: SandboxRequest): Record<string, unknown> | undefined => {
    try {
      const value: unknown = JSON.parse(request.body.toString('utf8') || '{}');
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  };
  const tagTaken = (field = 'tag_name') =>
    json(422, { message: 'Validation Failed', errors: [{ resource: 'Release', code: 'already_exists', field }] });
  /** A tag an immutable release used can never name another release (even once that one is gone). */
  const tagFrozen = (repository: Repository, tag: string, release?: Release) =>
    repository.releases.some((other) => other !== release && other.immutable && other.tag === tag);
  const tagFrozenAnswer = () =>
    json(422, {
      message: 'Validation Failed',
      errors: [
        {
          resource: 'Release',
          code: 'custom',
          field: 'tag_name',
          message: 'tag_name was used by an immutable release',
        },
      ],
    });
  /** Publishing while the setting is on freezes the release. */
  const publishedNow = (repository: Repository, release: Release) => {
    if (!release.draft && repository.immutableReleases) release.immutable = true;
  };
  /** Pre-signed, time-limited storage URLs of attestation bundles: an HMAC of the id and the expiry. */
  const storageKey = randomBytes(32);
  const bundleUrlLifetimeMs = (options.bundleUrlLifetimeSeconds ?? 300) * 1000;
  const storageSignature = (id: number, expires: string) =>
    createHmac('sha256', storageKey).update(`${id}\n${expires}`).digest('base64url');
  const bundleUrl = (id: number) => {
    const expires = new Date(Date.now() + bundleUrlLifetimeMs).toISOString();
    return `${origin}/_storage/attestations/${id}.json.sn?se=${encodeURIComponent(expires)}&sp=r&sig=${storageSignature(id, expires)}`;
  };
  const validSignature = (id: number, expires: string, signature: string) => {
    const expected = Buffer.from(storageSignature(id, expires));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  };
  const attestationListing = (repository: Repository, attestation: SandboxAttestation) => {
    const shape = repository.attestationBundles ?? options.attestationBundles ?? 'inline';
    return shape === 'inline'
      ? { bundle: attestation.bundle, repository_id: repository.id }
      : { bundle: null, bundle_url: bundleUrl(attestation.id), repository_id: repository.id };
  };
  const storedBundleBody = (repository: Repository, attestation: SandboxAttestation): SandboxResponse => {
    const shape = repository.attestationBundles ?? options.attestationBundles ?? 'by-reference';
    const text = Buffer.from(JSON.stringify(attestation.bundle));
    if (shape === 'by-reference-json')
      return { status: 200, headers: { 'content-type': 'application/json' }, body: text };
    const body = shape === 'by-reference-framed' ? snappyFrame(text) : snappyCompress(text);
    return { status: 200, headers: { 'content-type': 'application/x-snappy' }, body };
  };

  const handle = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const { method } = request;
    const path = routeOf(request.path, enterprise);
    if (path === undefined) return message(404, 'Not Found');
    const who = caller(request);
    if (who === null) return message(401, 'Bad credentials');

    // users.getAuthenticated: a user's token says whose it is; a GITHUB_TOKEN (an installation's) may not ask.
    if (path === '/user' && method === 'GET') {
      if (!who) return message(401, 'Requires authentication');
      if (!who.user) return refused();
      return json(200, { login: who.user, type: 'User' });
    }

    const collaborator = COLLABORATOR.exec(path);
    if (collaborator && method === 'GET') {
      const repository = repositoryOf(collaborator[1]!, collaborator[2]!);
      if (!who) return message(401, 'Requires authentication');
      if (!repository || who.repository !== repository.fullName.toLowerCase()) return message(404, 'Not Found');
      const login = decodeURIComponent(collaborator[3]!).toLowerCase();
      return repository.collaborators.has(login) ? { status: 204, headers: {}, body: '' } : message(404, 'Not Found');
    }

    const list = RELEASES.exec(path);
    if (list && method === 'GET') {
      const repository = repositoryOf(list[1]!, list[2]!);
      if (!repository) return message(404, 'Not Found');
      const perPage = Math.min(Number(request.query.get('per_page') ?? 30) || 30, 100);
      const page = Math.max(Number(request.query.get('page') ?? 1) || 1, 1);
      const newestFirst = repository.releases.filter(visible(request, repository)).reverse();
      return json(
        200,
        newestFirst.slice((page - 1) * perPage, page * perPage).map((release) => releaseJson(repository, release)),
      );
    }

    if (list && method === 'POST') {
      const repository = repositoryOf(list[1]!, list[2]!);
      if (!repository) return message(404, 'Not Found');
      if (!allowed(request, repository, 'contents')) return refused();
      const input = jsonObject(request);
      if (!input) return message(400, 'Problems parsing JSON');
      if (typeof input['tag_name'] !== 'string' || input['tag_name'] === '') {
        return json(422, {
          message: 'Validation Failed',
          errors: [{ resource: 'Release', code: 'missing_field', field: 'tag_name' }],
        });
      }
      const tag = input['tag_name'];
      const draft = input['draft'] === true;
      if (tagFrozen(repository, tag)) return tagFrozenAnswer();
      if (!draft && published(repository, tag)) return tagTaken();
      const release: Release = {
        id: nextId++,
        tag,
        name: typeof input['name'] === 'string' ? input['name'] : tag,
        body: typeof input['body'] === 'string' ? input['body'] : '',
        draft,
        prerelease: input['prerelease'] === true,
        immutable: false,
        assets: [],
      };
      publishedNow(repository, release);
      repository.releases.push(release);
      const created = releaseJson(repository, release);
      return json(201, created, { location: created.url });
    }

    const latest = LATEST_RELEASE.exec(path);
    if (latest && method === 'GET') {
      const repository = repositoryOf(latest[1]!, latest[2]!);
      const release = repository?.releases.filter((r) => !r.draft && !r.prerelease).at(-1);
      if (!repository || !release) return message(404, 'Not Found');
      return json(200, releaseJson(repository, release));
    }

    // Drafts are not found by tag, as on GitHub: only a published release is.
    const byTag = RELEASE_BY_TAG.exec(path);
    if (byTag && method === 'GET') {
      const repository = repositoryOf(byTag[1]!, byTag[2]!);
      const release = repository && published(repository, decodeURIComponent(byTag[3]!));
      if (!repository || !release) return message(404, 'Not Found');
      return json(200, releaseJson(repository, release));
    }

    const byId = RELEASE_BY_ID.exec(path);
    if (byId && method === 'GET') {
      const repository = repositoryOf(byId[1]!, byId[2]!);
      const release = releaseById(repository, byId[3]!);
      if (!repository || !release || !visible(request, repository)(release)) return message(404, 'Not Found');
      return json(200, releaseJson(repository, release));
    }

    // updateRelease: its notes, name, tag, pre-release flag, and publishing a draft (`draft: false`).
    if (byId && method === 'PATCH') {
      const repository = repositoryOf(byId[1]!, byId[2]!);
      const release = releaseById(repository, byId[3]!);
      if (!repository || !release) return message(404, 'Not Found');
      if (!allowed(request, repository, 'contents')) return refused();
      const patch = jsonObject(request);
      if (!patch) return message(400, 'Problems parsing JSON');
      const tag = typeof patch['tag_name'] === 'string' && patch['tag_name'] !== '' ? patch['tag_name'] : release.tag;
      const draft = typeof patch['draft'] === 'boolean' ? patch['draft'] : release.draft;
      if (release.immutable && (tag !== release.tag || draft)) {
        return message(422, 'Cannot modify the tag or draft state of an immutable release');
      }
      if (tagFrozen(repository, tag, release)) return tagFrozenAnswer();
      const other = published(repository, tag);
      if (!draft && other && other !== release) return tagTaken();
      release.tag = tag;
      release.draft = draft;
      publishedNow(repository, release);
      if (typeof patch['body'] === 'string') release.body = patch['body'];
      if (typeof patch['name'] === 'string') release.name = patch['name'];
      if (typeof patch['prerelease'] === 'boolean') release.prerelease = patch['prerelease'];
      return json(200, releaseJson(repository, release));
    }

    const upload = UPLOAD.exec(path);
    if (upload && method === 'POST') {
      const repository = repositoryOf(upload[1]!, upload[2]!);
      const release = releaseById(repository, upload[3]!);
      if (!repository || !release) return message(404, 'Not Found');
      if (!allowed(request, repository, 'contents')) return refused();
      if (release.immutable) return message(422, 'Cannot upload assets to an immutable release');
      const name = request.query.get('name');
      if (!name) return message(422, 'Validation Failed');
      if (release.assets.some((asset) => asset.name === name)) {
        return json(422, {
          message: 'Validation Failed',
          errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }],
        });
      }
      const asset = {
        id: nextId++,
        name,
        contentType: headerValue(request, 'content-type') ?? 'application/octet-stream',
        content: request.body,
      };
      release.assets.push(asset);
      return json(201, assetJson(repository, asset));
    }

    const assetPath = ASSET.exec(path);
    if (assetPath && method === 'GET') {
      const found = findAsset(Number(assetPath[3]));
      if (!found) return message(404, 'Not Found');
      if (headerValue(request, 'accept') === 'application/octet-stream') {
        return { status: 302, headers: { location: `${origin}/_storage/release-assets/${found.asset.id}` }, body: '' };
      }
      return json(200, assetJson(found.repository, found.asset));
    }

    const storage = STORAGE.exec(path);
    if (storage && method === 'GET') {
      // Pre-signed storage, like S3: a second credential is an error, not a bonus.
      if (headerValue(request, 'authorization')) {
        return {
          status: 400,
          headers: { 'content-type': 'application/xml' },
          body: '<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>',
        };
      }
      const found = findAsset(Number(storage[1]));
      if (!found) return message(404, 'Not Found');
      return { status: 200, headers: { 'content-type': found.asset.contentType }, body: found.asset.content };
    }

    const attestations = ATTESTATIONS.exec(path);
    if (attestations && method === 'POST') {
      const repository = repositoryOf(attestations[1]!, attestations[2]!);
      if (!repository) return message(404, 'Not Found');
      if (!allowed(request, repository, 'attestations')) return refused();
      let bundle: unknown;
      try {
        bundle = (JSON.parse(request.body.toString('utf8')) as { bundle?: unknown }).bundle;
      } catch {
        return message(400, 'Problems parsing JSON');
      }
      if (
        typeof bundle !== 'object' ||
        bundle === null ||
        typeof (bundle as { mediaType?: unknown }).mediaType !== 'string'
      ) {
        return message(422, 'Invalid request.\n\n"bundle" wasn\'t supplied.');
      }
      const record = {
        id: nextId++,
        repository: repository.fullName,
        bundle: bundle as Record<string, unknown>,
        subjectDigests: subjectDigestsOf(bundle as Record<string, unknown>),
      };
      storedAttestations.push(record);
      return json(201, { id: record.id });
    }

    const byDigest = ATTESTATIONS_BY_DIGEST.exec(path);
    if (byDigest && method === 'GET') {
      const repository = repositoryOf(byDigest[1]!, byDigest[2]!);
      if (!repository) return message(404, 'Not Found');
      const found = storedAttestations.filter(
        (a) => a.repository === repository.fullName && a.subjectDigests.includes(byDigest[3]!),
      );
      if (found.length === 0) return message(404, 'Not Found');
      return json(200, { attestations: found.map((a) => attestationListing(repository, a)) });
    }

    // Blob storage of bundles listed by reference: pre-signed, time-limited, and no second credential.
    const stored = BUNDLE_STORAGE.exec(path);
    if (stored && method === 'GET') {
      if (headerValue(request, 'authorization')) {
        return storageError(400, 'InvalidArgument', 'Only one auth mechanism allowed');
      }
      const id = Number(stored[1]);
      const expires = request.query.get('se') ?? '';
      if (!validSignature(id, expires, request.query.get('sig') ?? '')) {
        return storageError(403, 'AuthenticationFailed', 'Signature did not match');
      }
      if (!(Date.parse(expires) > Date.now())) {
        return storageError(403, 'AuthenticationFailed', 'Signed expiry time has passed');
      }
      const attestation = storedAttestations.find((a) => a.id === id);
      const repository = attestation && repositories.get(attestation.repository.toLowerCase());
      if (!attestation || !repository) return storageError(404, 'BlobNotFound', 'The specified blob does not exist');
      return storedBundleBody(repository, attestation);
    }

    // The setting needs the administration permission, which a workflow's GITHUB_TOKEN cannot have.
    const immutability = IMMUTABLE_RELEASES.exec(path);
    if (immutability && method === 'GET') {
      const repository = repositoryOf(immutability[1]!, immutability[2]!);
      if (!repository) return message(404, 'Not Found');
      if (!who) return message(401, 'Requires authentication');
      if (!who.user || who.repository !== repository.fullName.toLowerCase()) return refused();
      if (!repository.immutableReleases) return message(404, 'Not Found');
      return json(200, { enabled: true, enforced_by_owner: false });
    }

    // git.createRef (changesets/action's release tags): never replaces a ref, as on GitHub.
    const gitRefs = GIT_REFS.exec(path);
    if (gitRefs && method === 'POST') {
      const repository = repositoryOf(gitRefs[1]!, gitRefs[2]!);
      if (!repository?.gitDir) return message(404, 'Not Found');
      if (!allowed(request, repository, 'contents')) return refused();
      const input = jsonObject(request);
      const ref = input?.['ref'];
      const sha = input?.['sha'];
      if (typeof ref !== 'string' || typeof sha !== 'string') return message(422, 'Invalid request.');
      const outcome = await createGitRef(repository.gitDir, ref, sha);
      if (outcome === 'exists') return message(422, 'Reference already exists');
      if (outcome === 'no-object') return message(422, 'Object does not exist');
      if (outcome === 'invalid')
        return message(422, "ref must be formatted as 'refs/...' and sha must be an object id");
      const url = `${apiBase}/repos/${repository.fullName}/git/${ref}`;
      return json(201, { ref, url, object: { type: 'commit', sha } });
    }

    return message(404, 'Not Found');
  };

  const tls = enterprise ? await createThrowawayTls() : undefined;
  const secrets = () => [...tokens.keys()];
  const server = await startStandInServer({
    name: 'github',
    linePrefix: 'github: ',
    host: options.host,
    port: options.port,
    tls,
    faults,
    handle,
    requests,
    secrets,
    log,
  });
  origin = server.url;
  apiBase = enterprise ? `${origin}/api/v3` : origin;
  uploadsBase = enterprise ? `${origin}/api/uploads` : `${origin}/uploads`;
  const caDir = tls ? await mkdtemp(join(tmpdir(), 'phpublish-sandbox-ca-')) : undefined;
  const caFile = caDir && join(caDir, 'ca.pem');
  if (caFile && tls) await writeFile(caFile, tls.caPem);

  const repositoryNamed = (fullName: string) => {
    const repository = repositories.get(fullName.toLowerCase());
    if (!repository) throw new Error(`sandbox GitHub: no repository ${fullName}; addRepository first`);
    return repository;
  };
  /** The published release of `tag`, else its newest draft. */
  const releaseOfTag = (fullName: string, tag: string) => {
    const repository = repositoryNamed(fullName);
    return published(repository, tag) ?? repository.releases.filter((r) => r.tag === tag).at(-1);
  };

  return {
    url: apiBase,
    apiUrl: apiBase,
    host: new URL(origin).host,
    caPem: tls?.caPem,
    caFile,
    requests,
    addRepository: (fullName, init = {}) => {
      const digest = createHash('sha256').update(fullName).digest();
      const owner = fullName.split('/')[0]!;
      repositories.set(fullName.toLowerCase(), {
        fullName,
        id: init.id ?? digest.readUInt32BE(0) % 1_000_000_000,
        ownerId: init.ownerId ?? digest.readUInt32BE(4) % 1_000_000,
        collaborators: new Set((init.collaborators ?? [owner]).map((login) => login.toLowerCase())),
        releases: [],
        immutableReleases: init.immutableReleases ?? false,
        attestationBundles: init.attestationBundles,
        gitDir: init.gitDir,
      });
    },
    setImmutableReleases: (fullName, enabled) => {
      repositoryNamed(fullName).immutableReleases = enabled;
    },
    setAttestationBundles: (fullName, shape) => {
      repositoryNamed(fullName).attestationBundles = shape;
    },
    releaseNotes: (fullName, tag) => releaseOfTag(fullName, tag)?.body ?? '',
    createRelease: (fullName, tag, releaseOptions = {}) => {
      const repository = repositoryNamed(fullName);
      const release: Release = {
        id: nextId++,
        tag,
        name: tag,
        body: '',
        draft: releaseOptions.draft === true,
        prerelease: false,
        immutable: false,
        assets: [],
      };
      publishedNow(repository, release);
      repository.releases.push(release);
      return { id: release.id };
    },
    issueToken: (fullName, permissions, tokenOptions = {}) => {
      repositoryNamed(fullName);
      const prefix = tokenOptions.user ? 'github_pat_' : 'ghs_';
      const token = `${prefix}${randomBytes(18).toString('base64url')}`;
      tokens.set(token, {
        repository: fullName.toLowerCase(),
        permissions,
        ...(tokenOptions.user ? { user: tokenOptions.user } : {}),
      });
      sandboxAudit.issuedSecrets.add(token);
      return token;
    },
    releaseAssets: (fullName, tag) => releaseOfTag(fullName, tag)?.assets ?? [],
    releases: (fullName) => repositoryNamed(fullName).releases.map((release) => ({ ...release })),
    attestations: (fullName) => storedAttestations.filter((a) => a.repository.toLowerCase() === fullName.toLowerCase()),
    injectFault: (rule) => faults.arm(rule),
    clearFaults: () => faults.clear(),
    close: async () => {
      await server.close();
      if (caDir) await rm(caDir, { recursive: true, force: true });
    },
  };
}
