import { randomBytes } from 'node:crypto';
import { sandboxAudit } from '../audit.js';
import { headerValue, type SandboxRequest, type SandboxResponse } from '../http/exchange.js';
import { FaultInjector, type FaultRule } from '../http/faults.js';
import type { RecordedRequest } from '../http/request-log.js';
import { startStandInServer } from '../http/server.js';

// GitLab's release and package APIs sit beside GitHub's here: both are "the forge" the attestation is
// stored on, and they share nothing with the Packagist or Sigstore stand-ins.

export interface SandboxReleaseLink {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  readonly direct_asset_url: string;
  readonly link_type: string;
}

export interface SandboxGitLabOptions {
  readonly log?: (line: string) => void;
  readonly host?: string;
  readonly port?: number;
}

export interface SandboxGitLab {
  /** The instance's base URL (CI_SERVER_URL); the API is at `apiUrl`. */
  readonly url: string;
  /** `<url>/api/v4` (CI_API_V4_URL). */
  readonly apiUrl: string;
  readonly requests: readonly RecordedRequest[];
  addProject(path: string, init?: { id?: number; visibility?: 'public' | 'private' }): void;
  createRelease(path: string, tag: string): void;
  /** A CI_JOB_TOKEN of a job in the project (sent as JOB-TOKEN). */
  issueJobToken(path: string): string;
  releaseLinks(path: string, tag: string): readonly SandboxReleaseLink[];
  /** Files of the project's generic packages, by `<package>/<version>/<file>`. */
  packageFiles(path: string): ReadonlyMap<string, Buffer>;
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  close(): Promise<void>;
}

interface Project {
  path: string;
  id: number;
  visibility: 'public' | 'private';
  releases: Map<string, SandboxReleaseLink[]>;
  files: Map<string, Buffer>;
}

const PROJECT = /^\/api\/v4\/projects\/([^/]+)(\/.*)$/;
const RELEASE = /^\/releases\/([^/]+)$/;
const LINKS = /^\/releases\/([^/]+)\/assets\/links$/;
const GENERIC = /^\/packages\/generic\/([^/]+)\/([^/]+)\/([^/]+)$/;

const json = (status: number, value: unknown): SandboxResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

/**
 * GitLab's REST API (v4) where attestation meets it, on 127.0.0.1: releases with their asset links,
 * creating a link, and the generic package registry (upload with JOB-TOKEN or PRIVATE-TOKEN, anonymous
 * download for public projects). Projects are addressed by numeric ID or URL-encoded path.
 */
export async function startSandboxGitLab(options: SandboxGitLabOptions = {}): Promise<SandboxGitLab> {
  const log = options.log ?? (() => {});
  const projects = new Map<string, Project>();
  const tokens = new Map<string, string>();
  const faults = new FaultInjector();
  const requests: RecordedRequest[] = [];
  let nextId = 1;
  let apiUrl = '';

  const projectOf = (id: string) => {
    const key = decodeURIComponent(id).toLowerCase();
    return projects.get(key) ?? [...projects.values()].find((project) => String(project.id) === key);
  };

  /** The project a token is for; undefined when none was sent, null when it is unknown. */
  const tokenProject = (request: SandboxRequest) => {
    const token = headerValue(request, 'job-token') ?? headerValue(request, 'private-token');
    if (token === undefined) return undefined;
    return tokens.get(token) ?? null;
  };

  const handle = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const matched = PROJECT.exec(request.path);
    const project = matched ? projectOf(matched[1]!) : undefined;
    if (!matched || !project) return json(404, { message: '404 Project Not Found' });
    const rest = matched[2]!;
    const who = tokenProject(request);
    if (who === null) return json(401, { message: '401 Unauthorized' });
    const member = who === project.path;
    if (project.visibility === 'private' && !member) return json(404, { message: '404 Project Not Found' });

    const release = RELEASE.exec(rest);
    if (release && request.method === 'GET') {
      const tag = decodeURIComponent(release[1]!);
      const links = project.releases.get(tag);
      if (!links) return json(404, { message: '404 Not Found' });
      return json(200, { tag_name: tag, name: tag, assets: { count: links.length, links } });
    }

    const links = LINKS.exec(rest);
    if (links && request.method === 'POST') {
      const list = project.releases.get(decodeURIComponent(links[1]!));
      if (!list) return json(404, { message: '404 Not Found' });
      if (!member) return json(403, { message: '403 Forbidden' });
      let body: { name?: string; url?: string; direct_asset_path?: string; link_type?: string };
      try {
        body = JSON.parse(request.body.toString('utf8'));
      } catch {
        return json(400, { error: 'the body is not JSON' });
      }
      if (!body.name || !body.url) return json(400, { error: 'name is missing, url is missing' });
      if (list.some((link) => link.name === body.name))
        return json(400, { message: { name: ['has already been taken'] } });
      const link: SandboxReleaseLink = {
        id: nextId++,
        name: body.name,
        url: body.url,
        direct_asset_url: `${apiUrl.replace(/\/api\/v4$/, '')}/${project.path}/-/releases/${encodeURIComponent(decodeURIComponent(links[1]!))}/downloads${body.direct_asset_path ?? `/${body.name}`}`,
        link_type: body.link_type ?? 'other',
      };
      list.push(link);
      return json(201, link);
    }

    const generic = GENERIC.exec(rest);
    if (generic) {
      const key = generic
        .slice(1, 4)
        .map((part) => decodeURIComponent(part))
        .join('/');
      if (request.method === 'PUT') {
        if (!member) return json(403, { message: '403 Forbidden' });
        project.files.set(key, request.body);
        return json(201, { message: '201 Created' });
      }
      if (request.method === 'GET') {
        const file = project.files.get(key);
        if (!file) return json(404, { message: '404 Not Found' });
        return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: file };
      }
    }
    return json(404, { message: '404 Not Found' });
  };

  const secrets = () => [...tokens.keys()];
  const server = await startStandInServer({
    name: 'gitlab',
    linePrefix: 'gitlab: ',
    host: options.host,
    port: options.port,
    faults,
    handle,
    requests,
    secrets,
    log,
  });
  apiUrl = `${server.url}/api/v4`;

  const projectNamed = (path: string) => {
    const project = projects.get(path.toLowerCase());
    if (!project) throw new Error(`sandbox GitLab: no project ${path}; addProject first`);
    return project;
  };

  return {
    url: server.url,
    apiUrl,
    requests,
    addProject: (path, init = {}) => {
      projects.set(path.toLowerCase(), {
        path,
        id: init.id ?? 4200 + projects.size,
        visibility: init.visibility ?? 'public',
        releases: new Map(),
        files: new Map(),
      });
    },
    createRelease: (path, tag) => {
      projectNamed(path).releases.set(tag, []);
    },
    issueJobToken: (path) => {
      projectNamed(path);
      const token = `glcbt-${randomBytes(20).toString('hex')}`;
      tokens.set(token, projectNamed(path).path);
      sandboxAudit.issuedSecrets.add(token);
      return token;
    },
    releaseLinks: (path, tag) => projectNamed(path).releases.get(tag) ?? [],
    packageFiles: (path) => projectNamed(path).files,
    injectFault: (rule) => faults.arm(rule),
    clearFaults: () => faults.clear(),
    close: () => server.close(),
  };
}
