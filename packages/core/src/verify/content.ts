import { open, rm } from 'node:fs/promises';
import { contentDigestOfZip, contentDigestOfZipBytes } from '../archive/digest.js';
import { isZip, type ZipInput, zipInMemory } from '../archive/zip-reader.js';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { distContentCached } from './cached-checks.js';
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
    const body = downloaded.body;
    inMemory = body !== undefined;
    // The dist is always downloaded afresh; only the digest of bytes seen before may come from the cache.
    const digest = await distContentCached(session.cache, downloaded.sha256, async () => {
      const tree = await (body ? contentDigestOfZipBytes(body, safeUrl) : contentDigestOfZip(file, safeUrl)).catch(
        async (error: unknown) => {
          // What is not a zip at all cannot be checked (VERIFY_DIST_UNAVAILABLE, as for a tarball
          // the metadata names); a damaged or hostile zip keeps its own code.
          if (isPhpublishError(error, 'ARCHIVE_ZIP_INVALID')) {
            const notZip = await whyNotZip(body ?? file);
            if (notZip)
              throw new PhpublishError('VERIFY_DIST_UNAVAILABLE', { url: safeUrl, reason: notZip }, { cause: error });
          }
          throw error;
        },
      );
      return { contentDigest: tree.contentDigest, files: tree.files + tree.symlinks };
    });
    return { url: safeUrl, ...digest };
  } catch (error) {
    if (error instanceof DownloadProblem) {
      throw new PhpublishError('VERIFY_DIST_UNAVAILABLE', { url: safeUrl, reason: error.reason }, { cause: error });
    }
    throw error;
  } finally {
    if (!inMemory) await rm(file, { force: true });
  }
}

/** Why the downloaded dist (in memory, or the scratch file) is not a zip at all; undefined when it is one. */
async function whyNotZip(downloaded: Buffer | string): Promise<string | undefined> {
  const handle = typeof downloaded === 'string' ? await open(downloaded, 'r') : undefined;
  try {
    const input: ZipInput = handle ?? zipInMemory(downloaded as Buffer);
    if (await isZip(input)) return undefined;
    const head = Buffer.alloc(512);
    const { bytesRead } = await input.read(head, 0, head.length, 0);
    return `what it serves is not a zip${looksLike(head.subarray(0, bytesRead))}`;
  } finally {
    await handle?.close();
  }
}

/** What a file that is not a zip seems to be, from its first bytes, for the message. */
function looksLike(head: Buffer): string {
  if (head.length === 0) return ' (it is empty)';
  if (head[0] === 0x1f && head[1] === 0x8b) return ' (it looks like gzip data, such as a .tar.gz)';
  if (head.toString('latin1', 0, 3) === 'BZh') return ' (it looks like bzip2 data)';
  if (head.toString('latin1', 1, 5) === '7zXZ') return ' (it looks like xz data)';
  if (head.toString('latin1', 257, 262) === 'ustar') return ' (it looks like a tar archive)';
  const text = head.toString('latin1').trimStart();
  if (text.startsWith('<')) return ' (it looks like an HTML or XML page)';
  if (text.startsWith('{') || text.startsWith('[')) return ' (it looks like JSON)';
  return '';
}
