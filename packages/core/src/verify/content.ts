import { rm } from 'node:fs/promises';
import { contentDigestOfZip, contentDigestOfZipBytes } from '../archive/digest.js';
import { PhpublishError } from '../errors/index.js';
import { DownloadProblem, download } from './download.js';
import type { ReleaseFacts } from './resolve-release.js';
import type { VerifySession } from './session.js';

/** What Composer would install, summed up. */
export interface InstalledContent {
  url: string;
  /** `phpublish-tree-v1:sha256:<hex>` of the files inside the zip's top-level folder. */
  contentDigest: string;
  files: number;
}

/** Zips up to this size are digested in memory; larger ones go through a scratch file. */
const IN_MEMORY_UP_TO = 64 * 1024 * 1024;

/**
 * Downloads what Composer would install (the dist zip: GitHub's zipball for GitHub packages) and
 * computes its content-tree digest, from memory when it is small enough (writing it out and
 * reading it back cost more than the digest), else from a scratch file removed afterwards.
 */
export async function installedContent(
  facts: ReleaseFacts,
  session: VerifySession,
  file: string,
): Promise<InstalledContent> {
  const url = facts.distUrl;
  if (!url) {
    throw new PhpublishError('VERIFY_DIST_UNAVAILABLE', {
      url: '(none)',
      reason: 'the metadata has no dist URL, so Composer would install from source',
    });
  }
  const safeUrl = session.deps.redactor.redact(url);
  if (facts.distType && facts.distType !== 'zip') {
    throw new PhpublishError('VERIFY_DIST_UNAVAILABLE', {
      url: safeUrl,
      reason: `it is a ${facts.distType} archive; the content digest is computed from zips`,
    });
  }
  // Whether the zip stayed in memory: then there is no scratch file to remove.
  let inMemory = false;
  try {
    const downloaded = await download({
      url,
      file,
      memoryUpTo: IN_MEMORY_UP_TO,
      http: session.http,
      headers: { accept: 'application/zip, */*' },
    });
    inMemory = downloaded.body !== undefined;
    const digest = downloaded.body
      ? await contentDigestOfZipBytes(downloaded.body, safeUrl)
      : await contentDigestOfZip(file, safeUrl);
    return { url: safeUrl, contentDigest: digest.contentDigest, files: digest.files + digest.symlinks };
  } catch (error) {
    if (error instanceof DownloadProblem) {
      throw new PhpublishError('VERIFY_DIST_UNAVAILABLE', { url: safeUrl, reason: error.reason }, { cause: error });
    }
    throw error;
  } finally {
    if (!inMemory) await rm(file, { force: true });
  }
}
