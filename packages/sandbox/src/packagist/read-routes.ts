import {
  headerValue,
  htmlResponse,
  jsonResponse,
  metadataJsonResponse,
  type SandboxRequest,
  type SandboxResponse,
} from '../http/exchange.js';
import { PACKAGIST_METADATA_DUMP, phpJsonEncode } from '../php-json.js';
import type { JobQueue } from './jobs.js';
import type { MetadataFiles } from './metadata-dumper.js';
import type { PackageRegistry } from './packages.js';

/** GET /jobs/<id>: the stored result, else `running` (also for unknown and expired ids). No authentication. */
export function handleJobStatus(id: string, jobs: JobQueue): SandboxResponse {
  return jsonResponse(200, jobs.result(id) ?? { status: 'running', message: '' });
}

/** GET /p2/<vendor>/<name>.json and ~dev.json: the dumped file, with Last-Modified and If-Modified-Since. */
export function handleMetadataFile(request: SandboxRequest, key: string, files: MetadataFiles): SandboxResponse {
  const file = files.get(key);
  if (!file) return htmlResponse(404, 'Not Found');
  const lastModified = new Date(file.lastModified).toUTCString();
  const since = Date.parse(headerValue(request, 'if-modified-since') ?? '');
  if (!Number.isNaN(since) && file.lastModified <= since) {
    return { status: 304, headers: { 'last-modified': lastModified }, body: '' };
  }
  return metadataJsonResponse(200, file.json, { 'last-modified': lastModified });
}

/** GET /packages.json: enough of Packagist's root file for Composer to use the sandbox as a repository. */
export function handleRoot(baseUrl: string, packages: PackageRegistry): SandboxResponse {
  const root = {
    packages: [],
    'notify-batch': `${baseUrl}/downloads/`,
    'metadata-url': `${baseUrl}/p2/%package%.json`,
    // Packagist does not list its packages here (there are too many); the sandbox does, so that Composer
    // asks it only about packages it has instead of every name it meets.
    'available-packages': packages.all().map((pkg) => pkg.name.toLowerCase()),
  };
  return metadataJsonResponse(200, phpJsonEncode(root, PACKAGIST_METADATA_DUMP));
}

/** POST /downloads/: Composer reports installs here; Packagist answers 201 when the shape is right. */
export function handleDownloads(request: SandboxRequest): SandboxResponse {
  let contents: unknown;
  try {
    contents = JSON.parse(request.body.toString('utf8'));
  } catch {
    contents = null;
  }
  const downloads = (contents as { downloads?: unknown } | null)?.downloads;
  const valid =
    Array.isArray(downloads) &&
    downloads.every((item) => typeof item === 'object' && item !== null && item.name != null && item.version != null);
  if (!valid) {
    return jsonResponse(200, {
      status: 'error',
      message:
        'Invalid request format, must be a json object containing a downloads key filled with an array of name/version objects',
    });
  }
  return jsonResponse(201, { status: 'success' });
}
