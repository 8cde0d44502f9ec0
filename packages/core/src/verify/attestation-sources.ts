import { isApiUrl } from '../attest/forge-http.js';
import {
  fetchGitHubAttestations,
  fetchReleaseAssets,
  type GitHubRepositoryApi,
  type ReleaseAsset,
} from '../attest/github-store.js';
import {
  fetchGitLabPackageFile,
  fetchGitLabReleaseLink,
  GITLAB_ATTESTATION_PACKAGE,
  type GitLabProjectApi,
  gitLabAuthHeaders,
} from '../attest/gitlab-store.js';
import type { SigstoreBundle } from '../attest/sign.js';
import { releaseFileNames } from '../attest/subjects.js';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { DownloadProblem, download } from './download.js';
import type { VerifySession } from './session.js';

/** One bundle found for the release, and where. */
export interface FoundBundle {
  bundle: string | SigstoreBundle;
  where: string;
}

export interface AttestationSources {
  /** What GitHub's attestation store holds for the content digest (read with the release). */
  stored: FoundBundle[];
  /**
   * The release asset `<vendor>-<name>-<version>.sigstore.json`, downloaded when asked for: when
   * the store's bundles already verify, it is not needed.
   */
  releaseAsset(): Promise<FoundBundle | undefined>;
  /** The attested zip, when the release carries it as an asset. */
  zip?: { name: string; sha256: string };
  /** Where phpublish looked, for VERIFY_ATTESTATION_MISSING. */
  looked: string[];
  /** A source that could not be read (reported when nothing else was found). */
  fetchError?: PhpublishError;
}

/** `v1.2.0` → `1.2.0` and `v1.2.0`: release tools name files by the version with or without its `v`. */
export function versionNames(tag: string): string[] {
  const bare = tag.replace(/^v(?=\d)/i, '');
  return bare === tag ? [tag] : [bare, tag];
}

/**
 * Collects the attestations of a release from GitHub: the release asset
 * `<vendor>-<name>-<version>.sigstore.json` and GitHub's attestation store (by the content digest
 * of what Composer installs), plus the attested zip when it is a release asset. Nothing found here
 * is trusted until verifyAttestation says so.
 */
export async function findAttestations(input: {
  session: VerifySession;
  repository: string;
  packageName: string;
  tag: string;
  contentSha256: string;
}): Promise<AttestationSources> {
  const { session, repository, packageName, tag } = input;
  const api: GitHubRepositoryApi = {
    baseUrl: session.endpoints.githubApiUrl,
    repository,
    authHeaders: session.gitHubHeaders,
    http: session.http,
    redactor: session.deps.redactor,
  };
  const names = versionNames(tag).map((version) => releaseFileNames(packageName, version));
  const looked = [
    `for ${names[0]!.bundle} on release ${tag} of ${repository}`,
    `in the attestation store of ${repository} by the content digest`,
  ];
  const [assets, stored] = await Promise.allSettled([
    fetchReleaseAssets(api, tag),
    fetchGitHubAttestations(api, input.contentSha256),
  ]);
  const sources: AttestationSources = { stored: [], looked, releaseAsset: async () => undefined };
  const noteFailure = (reason: unknown) => {
    if (!isPhpublishError(reason)) throw reason;
    sources.fetchError ??= reason;
  };

  if (stored.status === 'rejected') noteFailure(stored.reason);
  else {
    const seen = new Set<string>();
    for (const bundle of stored.value) {
      const key = canonical(bundle);
      if (seen.has(key)) continue;
      seen.add(key);
      sources.stored.push({ bundle, where: `the attestation store of ${repository}` });
    }
  }

  if (assets.status === 'rejected') noteFailure(assets.reason);
  else if (assets.value) {
    const bundleAsset = names.map((n) => assets.value!.find((a) => a.name === n.bundle)).find(Boolean);
    const zipAsset = names.map((n) => assets.value!.find((a) => a.name === n.zip)).find(Boolean);
    if (zipAsset) {
      try {
        // Only its hash is compared with the attestation's subject: the bytes are not kept.
        const zip = await downloadAsset(api, zipAsset, { hashOnly: true });
        sources.zip = { name: zipAsset.name, sha256: zip.sha256 };
      } catch (error) {
        noteFailure(error);
      }
    }
    if (bundleAsset) {
      const already = new Set(sources.stored.map((b) => canonical(b.bundle)));
      sources.releaseAsset = async () => {
        const text = (await downloadAsset(api, bundleAsset)).body!.toString('utf8');
        // The same bundle as one from the store has been tried already.
        return already.has(canonical(text))
          ? undefined
          : { bundle: text, where: `${bundleAsset.name} on release ${tag}` };
      };
    }
  }
  return sources;
}

/** Bundles compared as parsed JSON, so that the same bundle from two places counts once. */
function canonical(bundle: string | SigstoreBundle): string {
  if (typeof bundle !== 'string') return JSON.stringify(bundle);
  try {
    return JSON.stringify(JSON.parse(bundle));
  } catch {
    return bundle;
  }
}

/**
 * Downloads an asset through the API; GitHub redirects to storage, which gets no credentials, and
 * neither does an asset URL outside the API.
 */
async function downloadAsset(api: GitHubRepositoryApi, asset: ReleaseAsset, options: { hashOnly?: boolean } = {}) {
  try {
    return await download({
      url: asset.url,
      http: api.http,
      headers: { ...(isApiUrl(api, asset.url) ? api.authHeaders : {}), accept: 'application/octet-stream' },
      // Bundles are kept in memory, within the bundle limit; the zip is only hashed, within the dist limit.
      ...(options.hashOnly ? { hashOnly: true, answer: 'dist' } : { answer: 'bundle' }),
    });
  } catch (error) {
    if (!(error instanceof DownloadProblem)) throw error;
    throw new PhpublishError('ATTEST_FETCH_FAILED', {
      service: 'GitHub',
      url: api.redactor.redact(asset.url),
      ...(error.status ? { status: error.status } : {}),
      reason: error.reason,
    });
  }
}

/** What GitLab holds for a release: bundles found, where phpublish looked, a source that could not be read. */
export interface GitLabAttestations {
  found: FoundBundle[];
  looked: string[];
  fetchError?: PhpublishError;
}

/**
 * Collects the attestations of a release from GitLab, where phpublish stores them: the bundle linked
 * from the release of `tag` as `<vendor>-<name>-<version>.sigstore.json`, and when the release has no
 * such link, the file itself in the project's generic package registry
 * (`phpublish-attestations/<version>/<file>`). GITLAB_TOKEN, when set, goes to the API's own URLs only
 * (for private projects). Nothing found here is trusted until verifyAttestation says so.
 */
export async function findGitLabAttestations(input: {
  session: VerifySession;
  /** GitLab's REST API, `https://gitlab.example/api/v4`. */
  apiUrl: string;
  project: string;
  packageName: string;
  tag: string;
}): Promise<GitLabAttestations> {
  const { session, project, packageName, tag } = input;
  const token = session.deps.env['GITLAB_TOKEN']?.trim() || undefined;
  session.deps.redactor.add(token);
  const api: GitLabProjectApi = {
    baseUrl: input.apiUrl,
    project,
    authHeaders: token ? gitLabAuthHeaders({ kind: 'private', value: token }) : {},
    http: session.http,
    redactor: session.deps.redactor,
  };
  const files = versionNames(tag).map((version) => ({
    version,
    fileName: releaseFileNames(packageName, version).bundle,
  }));
  const result: GitLabAttestations = {
    found: [],
    looked: [
      `for ${files[0]!.fileName} linked from release ${tag} of ${project} on GitLab`,
      `in the generic package ${GITLAB_ATTESTATION_PACKAGE} of ${project}`,
    ],
  };
  const absent = new Set(['ATTEST_NOT_FOUND', 'ATTEST_RELEASE_NOT_FOUND']);
  const attempt = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      if (!isPhpublishError(error)) throw error;
      if (!absent.has(error.code)) result.fetchError ??= error;
      return undefined;
    }
  };
  for (const { fileName } of files) {
    const text = await attempt(() => fetchGitLabReleaseLink(api, { tag, fileName }));
    if (text !== undefined) {
      result.found.push({ bundle: text, where: `${fileName} linked from release ${tag} of ${project}` });
      return result;
    }
  }
  for (const { version, fileName } of files) {
    const text = await attempt(() => fetchGitLabPackageFile(api, { version, fileName }));
    if (text !== undefined) {
      result.found.push({
        bundle: text,
        where: `${GITLAB_ATTESTATION_PACKAGE}/${version}/${fileName} in the generic packages of ${project}`,
      });
      return result;
    }
  }
  return result;
}
