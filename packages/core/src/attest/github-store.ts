import { z } from 'zod';
import { PhpublishError } from '../errors/index.js';
import { ANSWER_KIND_TITLES, answerLimit, formatByteSize, type HttpResponse, publicUrl } from '../http/index.js';
import type { Logger } from '../log/index.js';
import { DownloadProblem, download } from '../verify/download.js';
import { type ForgeApi, failure, httpUrlField, isApiUrl, isHttpUrl, joinUrl, jsonBody, send } from './forge-http.js';
import type { SigstoreBundle } from './sign.js';
import { decodeStoredBundle, SnappyTooLargeError } from './snappy.js';
import { claimedSubjects, parseBundleText, sameSubjects } from './stored-bundle.js';
import type { Subject } from './subjects.js';

/** GitHub's REST API for one repository. */
export interface GitHubRepositoryApi extends ForgeApi {
  /** `owner/name`. */
  repository: string;
}

/** The headers GitHub's REST API wants; the token goes in Authorization only. */
export function gitHubAuthHeaders(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
  };
}

/** The fields of GitHub's release and asset objects that phpublish reads, with their types. */
const releaseAssetSchema = z.looseObject({
  name: z.string(),
  /** The API URL of the asset (downloaded with `accept: application/octet-stream`). */
  url: httpUrlField,
  browser_download_url: z.string().optional(),
  size: z.number().optional(),
  /** `sha256:<hex>`, where GitHub has computed it. */
  digest: z.string().nullish(),
});
const releaseSchema = z.looseObject({
  id: z.number().optional(),
  tag_name: z.string().optional(),
  /** A URI template: `https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}`. */
  upload_url: z.string().refine((value) => isHttpUrl(value.replace(/\{[^}]*\}$/, '')), 'must be an http(s) URL'),
  assets: z.array(releaseAssetSchema).optional(),
  draft: z.boolean().optional(),
  /** Published with release immutability on: its assets and tag can never change (GitHub, since 2025). */
  immutable: z.boolean().nullish(),
});
/**
 * A page of the attestation store. Each item holds its bundle inline, or (since 2026) `"bundle":
 * null` and a pre-signed, time-limited `bundle_url` on blob storage serving it snappy-compressed.
 */
const attestationsSchema = z.looseObject({
  attestations: z
    .array(z.looseObject({ bundle: z.looseObject({}).nullish(), bundle_url: httpUrlField.nullish() }))
    .optional(),
});

export type ReleaseAsset = z.output<typeof releaseAssetSchema>;
type Release = z.output<typeof releaseSchema>;

const STORE = { code: 'ATTEST_STORE_FAILED', service: 'GitHub' } as const;
const FETCH = { code: 'ATTEST_FETCH_FAILED', service: 'GitHub' } as const;

/** GitHub's answer for a token that lacks a permission (as opposed to a missing resource). */
function isPermissionRefusal(response: HttpResponse): boolean {
  return response.status === 403 && !/rate limit/i.test(response.body);
}

/** The release of `tag`; undefined when there is none. */
async function findRelease(
  api: GitHubRepositoryApi,
  tag: string,
  kind: typeof STORE | typeof FETCH,
): Promise<Release | undefined> {
  const url = joinUrl(api.baseUrl, `/repos/${api.repository}/releases/tags/${encodeURIComponent(tag)}`);
  const response = await send(api, { method: 'GET', url, idempotent: true }, kind);
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw failure(api, response, url, kind);
  return jsonBody(response, url, kind, releaseSchema);
}

/**
 * The release of `tag` that phpublish attaches to: the published one; else, where release
 * immutability is on, the draft of that tag (GitHub's flow for immutable releases: attach to the
 * draft, publish last). Drafts are not found by tag, and elsewhere one is left alone, as before.
 */
async function releaseByTag(
  api: GitHubRepositoryApi,
  tag: string,
  kind: typeof STORE | typeof FETCH,
): Promise<Release> {
  const release =
    (await findRelease(api, tag, kind)) ??
    ((await releaseImmutability(api)) === 'on' ? await findDraft(api, tag, kind) : undefined);
  if (!release) {
    throw new PhpublishError('ATTEST_RELEASE_NOT_FOUND', { forge: 'GitHub', repository: api.repository, tag });
  }
  return release;
}

/** The newest draft release of `tag` (drafts are listed only to tokens that may push). */
async function findDraft(
  api: GitHubRepositoryApi,
  tag: string,
  kind: typeof STORE | typeof FETCH,
): Promise<Release | undefined> {
  const url = joinUrl(api.baseUrl, `/repos/${api.repository}/releases?per_page=100`);
  const response = await send(api, { method: 'GET', url, idempotent: true }, kind);
  if (response.status !== 200) throw failure(api, response, url, kind);
  const releases = jsonBody(response, url, kind, z.array(releaseSchema));
  return releases.find((release) => release.draft === true && release.tag_name === tag);
}

/** Whether the repository has release immutability on: `unknown` when GitHub does not tell this token. */
export type ReleaseImmutability = 'on' | 'off' | 'unknown';

/**
 * The repository's release immutability setting. Its own endpoint needs the administration
 * permission, which a workflow's GITHUB_TOKEN cannot have; then the latest release says it, when it
 * is immutable (the setting was on when it was published, and turning it off is rare).
 */
export async function releaseImmutability(api: GitHubRepositoryApi): Promise<ReleaseImmutability> {
  const settingUrl = joinUrl(api.baseUrl, `/repos/${api.repository}/immutable-releases`);
  const setting = await send(api, { method: 'GET', url: settingUrl, idempotent: true }, FETCH);
  if (setting.status === 200) {
    const answer = jsonBody(setting, settingUrl, FETCH, z.looseObject({ enabled: z.boolean() }));
    return answer.enabled ? 'on' : 'off';
  }
  if (setting.status === 404) return 'off';
  const latestUrl = joinUrl(api.baseUrl, `/repos/${api.repository}/releases/latest`);
  const latest = await send(api, { method: 'GET', url: latestUrl, idempotent: true }, FETCH);
  if (latest.status !== 200) return 'unknown';
  return jsonBody(latest, latestUrl, FETCH, releaseSchema).immutable === true ? 'on' : 'unknown';
}

/** Whether the release of `tag` is published and immutable: no asset can be added to it any more. */
export async function isImmutableRelease(api: GitHubRepositoryApi, tag: string): Promise<boolean> {
  const release = await findRelease(api, tag, FETCH);
  return release?.immutable === true;
}

/**
 * Publishes the draft release of `tag` (`draft: false`), once every asset is on it: the last step
 * of GitHub's flow for immutable releases. Nothing to do when the release of `tag` is already
 * published (an earlier run, or a release tool that published it).
 */
export async function publishDraftRelease(
  api: GitHubRepositoryApi,
  tag: string,
): Promise<{ state: 'published' | 'already-published' }> {
  if (await findRelease(api, tag, STORE)) return { state: 'already-published' };
  const draft = await findDraft(api, tag, STORE);
  if (!draft || draft.id === undefined) {
    throw new PhpublishError('ATTEST_RELEASE_NOT_FOUND', { forge: 'GitHub', repository: api.repository, tag });
  }
  const url = joinUrl(api.baseUrl, `/repos/${api.repository}/releases/${draft.id}`);
  const response = await send(
    api,
    {
      method: 'PATCH',
      url,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ draft: false }),
      idempotent: true,
    },
    STORE,
  );
  if (isPermissionRefusal(response)) {
    throw new PhpublishError('ATTEST_GITHUB_PERMISSION_MISSING', {
      permission: 'contents: write',
      action: `publish release ${tag}`,
      status: response.status,
    });
  }
  if (response.status !== 200) throw failure(api, response, url, STORE);
  return { state: 'published' };
}

/**
 * Whether phpublish can still attach `assetNames` to the release of `tag` — to decide before
 * anything is signed. Yes for a mutable or draft release (or none yet: the store says so), and for
 * an immutable one that already has them all (attached to its draft by an earlier run). For an
 * immutable release missing one: no, with a warning, when the attestation store will hold the
 * bundle; else ATTEST_RELEASE_IMMUTABLE, so that nothing is half published.
 */
export async function releaseAssetsAttachable(
  api: GitHubRepositoryApi,
  input: { tag: string; assetNames: readonly string[]; attestationStore: boolean; logger: Logger },
): Promise<boolean> {
  const release = await findRelease(api, input.tag, STORE);
  if (release?.immutable !== true || release.draft === true) return true;
  const present = new Set((release.assets ?? []).map((asset) => asset.name));
  const missing = input.assetNames.filter((name) => !present.has(name));
  if (missing.length === 0) return true;
  if (!input.attestationStore) {
    throw new PhpublishError('ATTEST_RELEASE_IMMUTABLE', {
      repository: api.repository,
      tag: input.tag,
      name: missing[0]!,
    });
  }
  input.logger.warn(
    `Attestation: release ${input.tag} of ${api.repository} is immutable (published with release immutability on), so GitHub takes no more assets: the bundle goes to GitHub’s attestation store only, and ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not attached. To have them on the release, let the release tool create a draft (semantic-release: \`draftRelease: true\`; release-it: \`github.draft: true\`): phpublish publishes it last.`,
  );
  return false;
}

/** An asset cannot be added to a published immutable release: said before GitHub refuses it. */
function refuseIfImmutable(api: GitHubRepositoryApi, release: Release, tag: string, name: string): void {
  if (release.immutable === true && release.draft !== true) {
    throw new PhpublishError('ATTEST_RELEASE_IMMUTABLE', { repository: api.repository, tag, name });
  }
}

/** The assets of the release of `tag`, to read them; undefined when there is no such release. */
export async function fetchReleaseAssets(api: GitHubRepositoryApi, tag: string): Promise<ReleaseAsset[] | undefined> {
  const release = await findRelease(api, tag, FETCH);
  return release ? (release.assets ?? []) : undefined;
}

/**
 * Downloads an asset through the API (GitHub answers with a redirect to its storage, followed
 * without the token). The token goes only to the API itself, wherever the answer says the asset is.
 */
async function downloadAsset(api: GitHubRepositoryApi, asset: ReleaseAsset, kind: typeof STORE | typeof FETCH) {
  const response = await send(
    api,
    {
      method: 'GET',
      url: asset.url,
      headers: { accept: 'application/octet-stream' },
      idempotent: true,
      answer: 'bundle',
      authenticated: isApiUrl(api, asset.url),
    },
    kind,
  );
  if (response.status === 200) return response.body;
  const location = response.headers['location'];
  if (response.status >= 300 && response.status < 400 && typeof location === 'string') {
    // The storage URL is pre-signed and on another host: the GitHub token must not follow it.
    const target = new URL(location, asset.url).href;
    const stored = await send(
      api,
      { method: 'GET', url: target, idempotent: true, answer: 'bundle', authenticated: false },
      kind,
    );
    if (stored.status === 200) return stored.body;
    throw failure(api, stored, api.redactor.redact(target), kind);
  }
  throw failure(api, response, asset.url, kind);
}

export type StoreOutcome = { state: 'stored' | 'already-present'; location: string };

/**
 * Attaches the bundle to the release of `tag` as `assetName`. When the release already has that asset
 * for the same subjects (an earlier run), it is kept; for other subjects, ATTEST_RELEASE_ASSET_CONFLICT.
 */
export async function storeReleaseAsset(
  api: GitHubRepositoryApi,
  input: { tag: string; assetName: string; bundle: SigstoreBundle; subjects: Subject[] },
): Promise<StoreOutcome> {
  const release = await releaseByTag(api, input.tag, STORE);
  const existing = release.assets?.find((asset) => asset.name === input.assetName);
  if (existing) {
    const stored = parseBundleText(await downloadAsset(api, existing, STORE));
    if (!sameSubjects(claimedSubjects(stored), input.subjects)) {
      throw new PhpublishError('ATTEST_RELEASE_ASSET_CONFLICT', { name: input.assetName, tag: input.tag });
    }
    return { state: 'already-present', location: existing.browser_download_url ?? existing.url };
  }
  refuseIfImmutable(api, release, input.tag, input.assetName);
  return uploadAsset(api, release, {
    tag: input.tag,
    name: input.assetName,
    contentType: 'application/json',
    body: JSON.stringify(input.bundle),
  });
}

/** The bundle attached to the release of `tag` as `assetName`, as text (not verified here). */
export async function fetchReleaseAsset(
  api: GitHubRepositoryApi,
  input: { tag: string; assetName: string },
): Promise<string> {
  const release = await releaseByTag(api, input.tag, FETCH);
  const asset = release.assets?.find((candidate) => candidate.name === input.assetName);
  if (!asset) {
    throw new PhpublishError('ATTEST_NOT_FOUND', {
      where: `as ${input.assetName} on release ${input.tag} of ${api.repository}`,
    });
  }
  return downloadAsset(api, asset, FETCH);
}

const attestationsUrl = (api: GitHubRepositoryApi, path = '') =>
  joinUrl(api.baseUrl, `/repos/${api.repository}/attestations${path}`);

/** The bundles GitHub's attestation store holds for an artifact digest (none: an empty list). */
export async function fetchGitHubAttestations(api: GitHubRepositoryApi, sha256: string): Promise<SigstoreBundle[]> {
  const url = attestationsUrl(api, `/sha256:${sha256}`);
  const response = await send(api, { method: 'GET', url, idempotent: true }, FETCH);
  if (response.status === 404) return [];
  if (response.status !== 200) throw failure(api, response, url, FETCH);
  const body = jsonBody(response, url, FETCH, attestationsSchema);
  // Only their shape is known here: verification parses and checks each bundle whole.
  const bundles = await Promise.all(
    (body.attestations ?? []).map((entry) =>
      entry.bundle
        ? (entry.bundle as unknown as SigstoreBundle)
        : entry.bundle_url
          ? fetchBundleByReference(api, entry.bundle_url)
          : undefined,
    ),
  );
  return bundles.filter((bundle) => bundle !== undefined);
}

const BUNDLE_STORAGE = 'GitHub’s attestation storage';

/**
 * A bundle the attestations API lists by reference. The URL is pre-signed on a third-party blob
 * host, so no GitHub credential goes with it (nor after a redirect); messages show it without its
 * query, which holds the signature. Its compressed size is held to the bundle limit as it arrives,
 * and its decoded size is checked against the same limit from snappy's preamble, before decoding.
 */
async function fetchBundleByReference(api: GitHubRepositoryApi, bundleUrl: string): Promise<SigstoreBundle> {
  const shownUrl = publicUrl(bundleUrl);
  const limit = answerLimit(api.http.limits, 'bundle');
  let body: Buffer;
  try {
    body = (await download({ url: bundleUrl, http: api.http, answer: 'bundle' })).body ?? Buffer.alloc(0);
  } catch (error) {
    if (!(error instanceof DownloadProblem)) throw error;
    throw new PhpublishError('ATTEST_FETCH_FAILED', {
      service: BUNDLE_STORAGE,
      url: shownUrl,
      ...(error.status === undefined ? {} : { status: error.status }),
      reason: error.status === 403 ? 'the pre-signed URL was refused (expired?)' : error.reason,
    });
  }
  const malformed = (problem: string) =>
    new PhpublishError('REMOTE_ANSWER_MALFORMED', { service: BUNDLE_STORAGE, url: shownUrl, status: 200, problem });
  let text: string;
  try {
    text = decodeStoredBundle(body, limit);
  } catch (error) {
    if (error instanceof SnappyTooLargeError) {
      throw new PhpublishError('REMOTE_ANSWER_TOO_LARGE', {
        url: shownUrl,
        kind: 'bundle',
        kindTitle: ANSWER_KIND_TITLES.bundle,
        limit: formatByteSize(limit),
        declared: formatByteSize(error.length),
      });
    }
    throw malformed(`not a snappy-compressed bundle (${(error as Error).message})`);
  }
  const bundle = parseBundleText(text);
  if (!bundle || Array.isArray(bundle)) throw malformed('the decompressed bundle is not a JSON object');
  return bundle;
}

/**
 * POST /repos/{owner}/{repo}/attestations, unless the store already has an attestation of the same
 * subjects (an earlier run of this release).
 */
export async function storeGitHubAttestation(
  api: GitHubRepositoryApi,
  input: { bundle: SigstoreBundle; subjects: Subject[] },
): Promise<StoreOutcome> {
  const zip = input.subjects[0]!;
  const location = attestationsUrl(api, `/sha256:${zip.digest['sha256']}`);
  let existing: SigstoreBundle[] = [];
  try {
    existing = await fetchGitHubAttestations(api, zip.digest['sha256']!);
  } catch (error) {
    // Reading needs `attestations: read`, which `attestations: write` implies; if it fails, storing will say why.
    if (!(error instanceof PhpublishError)) throw error;
  }
  if (existing.some((bundle) => sameSubjects(claimedSubjects(bundle), input.subjects))) {
    return { state: 'already-present', location };
  }
  const url = attestationsUrl(api);
  const response = await send(
    api,
    {
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ bundle: input.bundle }),
      idempotent: false,
    },
    STORE,
  );
  if (isPermissionRefusal(response)) {
    throw new PhpublishError('ATTEST_GITHUB_PERMISSION_MISSING', {
      permission: 'attestations: write',
      action: `store the attestation in ${api.repository}`,
      status: response.status,
    });
  }
  if (response.status !== 201 && response.status !== 200) throw failure(api, response, url, STORE);
  return { state: 'stored', location };
}

/**
 * Whether the token may write attestations, without writing one: an empty POST is refused with 403
 * when the permission is missing, and rejected as invalid (422) when it is there.
 */
export async function probeAttestationsWrite(api: GitHubRepositoryApi): Promise<PhpublishError | undefined> {
  const url = attestationsUrl(api);
  const response = await send(
    api,
    { method: 'POST', url, headers: { 'content-type': 'application/json' }, body: '{}', idempotent: true },
    STORE,
  );
  if (isPermissionRefusal(response)) {
    return new PhpublishError('ATTEST_GITHUB_PERMISSION_MISSING', {
      permission: 'attestations: write',
      action: `store attestations in ${api.repository}`,
      status: response.status,
    });
  }
  if (response.status === 401) return failure(api, response, url, STORE);
  return undefined;
}

/**
 * Attaches the dist zip to the release of `tag`, beside its bundle. An asset of that name from an
 * earlier run is kept when it is the same zip (GitHub's `digest`, else its size: the zip is rebuilt
 * byte for byte, so a different one means a different release).
 */
export async function storeZipAsset(
  api: GitHubRepositoryApi,
  input: { tag: string; assetName: string; content: Uint8Array; sha256: string },
): Promise<StoreOutcome> {
  const release = await releaseByTag(api, input.tag, STORE);
  const existing = release.assets?.find((asset) => asset.name === input.assetName);
  if (existing) {
    const same = existing.digest
      ? existing.digest === `sha256:${input.sha256}`
      : existing.size === input.content.length;
    if (!same) throw new PhpublishError('ATTEST_RELEASE_ASSET_CONFLICT', { name: input.assetName, tag: input.tag });
    return { state: 'already-present', location: existing.browser_download_url ?? existing.url };
  }
  refuseIfImmutable(api, release, input.tag, input.assetName);
  return uploadAsset(api, release, {
    tag: input.tag,
    name: input.assetName,
    contentType: 'application/zip',
    body: input.content,
  });
}

/** Uploads one asset to a release (not repeated on failure: GitHub may have kept it). */
async function uploadAsset(
  api: GitHubRepositoryApi,
  release: Release,
  asset: { tag: string; name: string; contentType: string; body: string | Uint8Array },
): Promise<StoreOutcome> {
  const uploadUrl = new URL(release.upload_url.replace(/\{[^}]*\}$/, ''));
  uploadUrl.searchParams.set('name', asset.name);
  const response = await send(
    api,
    {
      method: 'POST',
      url: uploadUrl.href,
      headers: { 'content-type': asset.contentType },
      body: asset.body,
      idempotent: false,
    },
    STORE,
  );
  if (isPermissionRefusal(response)) {
    throw new PhpublishError('ATTEST_GITHUB_PERMISSION_MISSING', {
      permission: 'contents: write',
      action: `upload ${asset.name} to release ${asset.tag}`,
      status: response.status,
    });
  }
  // Published as immutable since it was read (the release tool, racing): GitHub's own refusal, coded.
  if (response.status === 422 && /immutable release/i.test(response.body)) {
    throw new PhpublishError('ATTEST_RELEASE_IMMUTABLE', {
      repository: api.repository,
      tag: asset.tag,
      name: asset.name,
    });
  }
  if (response.status !== 201) throw failure(api, response, uploadUrl.href, STORE);
  const uploaded = jsonBody(response, uploadUrl.href, STORE, releaseAssetSchema);
  return { state: 'stored', location: uploaded.browser_download_url ?? uploaded.url };
}
