import { z } from 'zod';
import { PhpublishError } from '../errors/index.js';
import { type ForgeApi, failure, httpUrlField, isApiUrl, joinUrl, jsonBody, send } from './forge-http.js';
import type { StoreOutcome } from './github-store.js';
import type { SigstoreBundle } from './sign.js';
import { claimedSubjects, parseBundleText, sameSubjects } from './stored-bundle.js';
import type { Subject } from './subjects.js';

/** GitLab's REST API (v4) for one project. */
export interface GitLabProjectApi extends ForgeApi {
  /** `group/…/project`. */
  project: string;
}

/** The package the bundles are uploaded to in the project's generic package registry. */
export const GITLAB_ATTESTATION_PACKAGE = 'phpublish-attestations';

/** CI_JOB_TOKEN travels in JOB-TOKEN, a personal/project token in PRIVATE-TOKEN. */
export function gitLabAuthHeaders(token: { kind: 'job' | 'private'; value: string }): Record<string, string> {
  return token.kind === 'job' ? { 'job-token': token.value } : { 'private-token': token.value };
}

/** The fields of GitLab's release (its asset links) that phpublish reads, with their types. */
const releaseSchema = z.looseObject({
  assets: z
    .looseObject({
      links: z.array(z.looseObject({ name: z.string(), url: httpUrlField })).optional(),
    })
    .optional(),
});

const STORE = { code: 'ATTEST_STORE_FAILED', service: 'GitLab' } as const;
const FETCH = { code: 'ATTEST_FETCH_FAILED', service: 'GitLab' } as const;

const projectUrl = (api: GitLabProjectApi, path: string) =>
  joinUrl(api.baseUrl, `/projects/${encodeURIComponent(api.project)}${path}`);

/** Where the bundle of a version is kept: the generic package file, downloadable by anyone who can read the project. */
export function gitLabBundleUrl(api: GitLabProjectApi, version: string, fileName: string): string {
  return projectUrl(
    api,
    `/packages/generic/${GITLAB_ATTESTATION_PACKAGE}/${encodeURIComponent(version)}/${encodeURIComponent(fileName)}`,
  );
}

async function releaseLinks(api: GitLabProjectApi, tag: string, kind: typeof STORE | typeof FETCH) {
  const url = projectUrl(api, `/releases/${encodeURIComponent(tag)}`);
  const response = await send(api, { method: 'GET', url, idempotent: true }, kind);
  if (response.status === 404 || response.status === 403) {
    throw new PhpublishError('ATTEST_RELEASE_NOT_FOUND', { forge: 'GitLab', repository: api.project, tag });
  }
  if (response.status !== 200) throw failure(api, response, url, kind);
  return jsonBody(response, url, kind, releaseSchema).assets?.links ?? [];
}

/**
 * Uploads the bundle to the generic package registry (`phpublish-attestations/<version>/<file>`) and
 * links it from the release of `tag` as `fileName`. Both steps keep what an earlier run stored for the
 * same subjects.
 */
export async function storeGitLabReleaseLink(
  api: GitLabProjectApi,
  input: { tag: string; version: string; fileName: string; bundle: SigstoreBundle; subjects: Subject[] },
): Promise<StoreOutcome> {
  const links = await releaseLinks(api, input.tag, STORE);
  const fileUrl = gitLabBundleUrl(api, input.version, input.fileName);

  const current = await send(api, { method: 'GET', url: fileUrl, idempotent: true, answer: 'bundle' }, STORE);
  const stored = current.status === 200 ? parseBundleText(current.body) : undefined;
  if (stored && !sameSubjects(claimedSubjects(stored), input.subjects)) {
    throw new PhpublishError('ATTEST_RELEASE_ASSET_CONFLICT', { name: input.fileName, tag: input.tag });
  }
  if (!stored) {
    const upload = await send(
      api,
      {
        method: 'PUT',
        url: fileUrl,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input.bundle),
        idempotent: true,
      },
      STORE,
    );
    if (upload.status !== 201 && upload.status !== 200) throw failure(api, upload, fileUrl, STORE);
  }

  const link = links.find((candidate) => candidate.name === input.fileName);
  if (link) {
    if (link.url !== fileUrl)
      throw new PhpublishError('ATTEST_RELEASE_ASSET_CONFLICT', { name: input.fileName, tag: input.tag });
    return { state: stored ? 'already-present' : 'stored', location: fileUrl };
  }
  const linksUrl = projectUrl(api, `/releases/${encodeURIComponent(input.tag)}/assets/links`);
  const created = await send(
    api,
    {
      method: 'POST',
      url: linksUrl,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: input.fileName,
        url: fileUrl,
        direct_asset_path: `/${input.fileName}`,
        link_type: 'other',
      }),
      idempotent: false,
    },
    STORE,
  );
  if (created.status !== 201) throw failure(api, created, linksUrl, STORE);
  return { state: 'stored', location: fileUrl };
}

/** The bundle linked from the release of `tag` as `fileName`, as text (not verified here). */
export async function fetchGitLabReleaseLink(
  api: GitLabProjectApi,
  input: { tag: string; fileName: string },
): Promise<string> {
  const links = await releaseLinks(api, input.tag, FETCH);
  const link = links.find((candidate) => candidate.name === input.fileName);
  if (!link) {
    throw new PhpublishError('ATTEST_NOT_FOUND', {
      where: `as ${input.fileName} on release ${input.tag} of ${api.project}`,
    });
  }
  // The link may point anywhere: the project's token only goes to the project's own API.
  const response = await send(
    api,
    { method: 'GET', url: link.url, idempotent: true, answer: 'bundle', authenticated: isApiUrl(api, link.url) },
    FETCH,
  );
  if (response.status !== 200) throw failure(api, response, api.redactor.redact(link.url), FETCH);
  return response.body;
}

/**
 * The bundle stored for `version` in the project's generic package registry as `fileName`, as text
 * (not verified here); `undefined` when there is none. Where the release link points, and still
 * there when the link was removed.
 */
export async function fetchGitLabPackageFile(
  api: GitLabProjectApi,
  input: { version: string; fileName: string },
): Promise<string | undefined> {
  const url = gitLabBundleUrl(api, input.version, input.fileName);
  const response = await send(api, { method: 'GET', url, idempotent: true, answer: 'bundle' }, FETCH);
  if (response.status === 404 || response.status === 403) return undefined;
  if (response.status !== 200) throw failure(api, response, url, FETCH);
  return response.body;
}
