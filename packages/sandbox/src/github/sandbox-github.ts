import { createHash, randomBytes } from 'node:crypto';
import { sandboxAudit } from '../audit.js';
import { headerValue, type SandboxRequest, type SandboxResponse } from '../http/exchange.js';
import { FaultInjector, type FaultRule } from '../http/faults.js';
import type { RecordedRequest } from '../http/request-log.js';
import { startStandInServer } from '../http/server.js';

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

export interface SandboxGitHubOptions {
  readonly log?: (line: string) => void;
  readonly host?: string;
  readonly port?: number;
}

export interface SandboxGitHub {
  /** The REST API base (what GITHUB_API_URL holds). */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  addRepository(fullName: string, init?: { id?: number; ownerId?: number }): void;
  /** A published release of `tag` (what the release tool creates before phpublish attests). */
  createRelease(fullName: string, tag: string): { id: number };
  /** A GITHUB_TOKEN for the repository with these permissions. */
  issueToken(fullName: string, permissions: GitHubTokenPermissions): string;
  releaseAssets(fullName: string, tag: string): readonly SandboxReleaseAsset[];
  /** The release's notes (its Markdown body). */
  releaseNotes(fullName: string, tag: string): string;
  attestations(fullName: string): readonly SandboxAttestation[];
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  close(): Promise<void>;
}

interface Repository {
  fullName: string;
  id: number;
  ownerId: number;
  releases: Map<string, { id: number; tag: string; body: string; assets: SandboxReleaseAsset[] }>;
}

const RELEASE_BY_TAG = /^\/repos\/([^/]+)\/([^/]+)\/releases\/tags\/(.+)$/;
const UPLOAD = /^\/uploads\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)\/assets$/;
const ASSET = /^\/repos\/([^/]+)\/([^/]+)\/releases\/assets\/(\d+)$/;
const RELEASE_BY_ID = /^\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)$/;
const STORAGE = /^\/_storage\/release-assets\/(\d+)$/;
const ATTESTATIONS = /^\/repos\/([^/]+)\/([^/]+)\/attestations$/;
const ATTESTATIONS_BY_DIGEST = /^\/repos\/([^/]+)\/([^/]+)\/attestations\/(sha256:[0-9a-f]{64})$/;

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
 * GitHub's REST API where attestation meets it, on 127.0.0.1: releases by tag, release-asset upload
 * (on an uploads path, like uploads.github.com) and download (a redirect to pre-signed storage that
 * refuses a second credential), and the attestations API. Tokens carry workflow permissions, and
 * missing ones get GitHub's "Resource not accessible by integration".
 */
export async function startSandboxGitHub(options: SandboxGitHubOptions = {}): Promise<SandboxGitHub> {
  const log = options.log ?? (() => {});
  const repositories = new Map<string, Repository>();
  const tokens = new Map<string, { repository: string; permissions: GitHubTokenPermissions }>();
  const storedAttestations: SandboxAttestation[] = [];
  const faults = new FaultInjector();
  const requests: RecordedRequest[] = [];
  let nextId = 1000;
  let baseUrl = '';

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

  const assetJson = (repository: Repository, asset: SandboxReleaseAsset) => ({
    id: asset.id,
    name: asset.name,
    content_type: asset.contentType,
    size: asset.content.length,
    // GitHub lists each asset's digest (since 2025).
    digest: `sha256:${createHash('sha256').update(asset.content).digest('hex')}`,
    state: 'uploaded',
    url: `${baseUrl}/repos/${repository.fullName}/releases/assets/${asset.id}`,
    browser_download_url: `${baseUrl}/_storage/release-assets/${asset.id}`,
  });

  const findAsset = (id: number) => {
    for (const repository of repositories.values()) {
      for (const release of repository.releases.values()) {
        const asset = release.assets.find((candidate) => candidate.id === id);
        if (asset) return { repository, asset };
      }
    }
    return undefined;
  };

  const handle = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const { method, path } = request;
    if (caller(request) === null) return message(401, 'Bad credentials');

    const byTag = RELEASE_BY_TAG.exec(path);
    if (byTag && method === 'GET') {
      const repository = repositoryOf(byTag[1]!, byTag[2]!);
      const release = repository?.releases.get(decodeURIComponent(byTag[3]!));
      if (!repository || !release) return message(404, 'Not Found');
      return json(200, {
        id: release.id,
        tag_name: release.tag,
        body: release.body,
        draft: false,
        upload_url: `${baseUrl}/uploads/repos/${repository.fullName}/releases/${release.id}/assets{?name,label}`,
        assets: release.assets.map((asset) => assetJson(repository, asset)),
      });
    }

    // Editing a release (its notes), as `PATCH /repos/{owner}/{repo}/releases/{id}` does.
    const byId = RELEASE_BY_ID.exec(path);
    if (byId && method === 'PATCH') {
      const repository = repositoryOf(byId[1]!, byId[2]!);
      const release = repository && [...repository.releases.values()].find((r) => r.id === Number(byId[3]));
      if (!repository || !release) return message(404, 'Not Found');
      if (!allowed(request, repository, 'contents')) return message(403, 'Resource not accessible by integration');
      const patch = JSON.parse(request.body.toString('utf8') || '{}') as { body?: unknown };
      if (typeof patch.body === 'string') release.body = patch.body;
      return json(200, { id: release.id, tag_name: release.tag, body: release.body });
    }

    const upload = UPLOAD.exec(path);
    if (upload && method === 'POST') {
      const repository = repositoryOf(upload[1]!, upload[2]!);
      const release = [...(repository?.releases.values() ?? [])].find((r) => r.id === Number(upload[3]));
      if (!repository || !release) return message(404, 'Not Found');
      if (!allowed(request, repository, 'contents')) return message(403, 'Resource not accessible by integration');
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
        return { status: 302, headers: { location: `${baseUrl}/_storage/release-assets/${found.asset.id}` }, body: '' };
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
      if (!allowed(request, repository, 'attestations')) return message(403, 'Resource not accessible by integration');
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
      return json(200, { attestations: found.map((a) => ({ bundle: a.bundle, repository_id: repository.id })) });
    }

    return message(404, 'Not Found');
  };

  const secrets = () => [...tokens.keys()];
  const server = await startStandInServer({
    name: 'github',
    linePrefix: 'github: ',
    host: options.host,
    port: options.port,
    faults,
    handle,
    requests,
    secrets,
    log,
  });
  baseUrl = server.url;

  const repositoryNamed = (fullName: string) => {
    const repository = repositories.get(fullName.toLowerCase());
    if (!repository) throw new Error(`sandbox GitHub: no repository ${fullName}; addRepository first`);
    return repository;
  };

  return {
    url: server.url,
    requests,
    addRepository: (fullName, init = {}) => {
      const digest = createHash('sha256').update(fullName).digest();
      repositories.set(fullName.toLowerCase(), {
        fullName,
        id: init.id ?? digest.readUInt32BE(0) % 1_000_000_000,
        ownerId: init.ownerId ?? digest.readUInt32BE(4) % 1_000_000,
        releases: new Map(),
      });
    },
    releaseNotes: (fullName, tag) => repositoryNamed(fullName).releases.get(tag)?.body ?? '',
    createRelease: (fullName, tag) => {
      const release = { id: nextId++, tag, body: '', assets: [] };
      repositoryNamed(fullName).releases.set(tag, release);
      return { id: release.id };
    },
    issueToken: (fullName, permissions) => {
      repositoryNamed(fullName);
      const token = `ghs_${randomBytes(18).toString('base64url')}`;
      tokens.set(token, { repository: fullName.toLowerCase(), permissions });
      sandboxAudit.issuedSecrets.add(token);
      return token;
    },
    releaseAssets: (fullName, tag) => repositoryNamed(fullName).releases.get(tag)?.assets ?? [],
    attestations: (fullName) => storedAttestations.filter((a) => a.repository.toLowerCase() === fullName.toLowerCase()),
    injectFault: (rule) => faults.arm(rule),
    clearFaults: () => faults.clear(),
    close: () => server.close(),
  };
}
