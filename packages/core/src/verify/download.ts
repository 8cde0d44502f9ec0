import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { type HttpDeps, HttpNetworkError, withRetry } from '../http/index.js';

/** Why a download failed, for humans; never contains credentials. */
export class DownloadProblem extends Error {
  override name = 'DownloadProblem';
  constructor(
    readonly reason: string,
    readonly status?: number,
  ) {
    super(reason);
  }
}

export interface DownloadInput {
  url: string;
  /** Where the bytes go (the file is created or truncated); in memory when absent. */
  file?: string;
  /** Retries follow its policy (timeouts, resets, 408/429/5xx), as for every other request. */
  http: HttpDeps;
  /** Sent with the first request only, never after a redirect (pre-signed storage, codeload). */
  headers?: Record<string, string>;
  /** Refuse bodies larger than this; 512 MiB by default. */
  maxBytes?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export interface Downloaded {
  /** SHA-256 of the bytes, lowercase hex. */
  sha256: string;
  bytes: number;
  /** The bytes, when no file was given. */
  body?: Buffer;
}

/** One attempt's outcome: the bytes when the answer was 200, else only the status. */
interface Attempt {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  downloaded?: Downloaded;
}

/**
 * Downloads a binary body (a zip, a bundle) to a file or to memory while hashing it, following
 * redirects (GitHub's zipball and asset URLs redirect to storage on another host). Transient
 * failures (no answer, a connection reset mid-body, 408/429/5xx) are retried through core's
 * retry loop (`withRetry`), from the first URL, with the whole body read again; a body over the
 * size limit or a redirect loop is not retried.
 */
export async function download(input: DownloadInput): Promise<Downloaded> {
  let outcome: { response: Attempt };
  try {
    outcome = await withRetry({ url: input.url, idempotent: true }, input.http, () => attempt(input), {
      isNetworkError: (error) => !(error instanceof DownloadProblem),
    });
  } catch (error) {
    if (error instanceof HttpNetworkError) throw new DownloadProblem(error.reason);
    throw error;
  }
  const { status, downloaded } = outcome.response;
  if (!downloaded) throw new DownloadProblem(`HTTP ${status}`, status);
  return downloaded;
}

/** One attempt: redirects followed, the body of a 200 read; other answers' bodies are dumped. */
async function attempt(input: DownloadInput): Promise<Attempt> {
  const maxBytes = input.maxBytes ?? 512 * 1024 * 1024;
  let url = input.url;
  for (let redirects = 0; ; redirects++) {
    const response = await request(url, {
      dispatcher: input.http.dispatcher,
      method: 'GET',
      headers: { 'user-agent': input.http.userAgent, ...(redirects === 0 ? input.headers : {}) },
      headersTimeout: input.http.timeoutMs,
      bodyTimeout: input.http.timeoutMs,
    });
    const location = response.headers['location'];
    if (REDIRECTS.has(response.statusCode) && typeof location === 'string') {
      await response.body.dump();
      if (redirects >= MAX_REDIRECTS) throw new DownloadProblem(`more than ${MAX_REDIRECTS} redirects`);
      url = new URL(location, url).href;
      continue;
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      return { status: response.statusCode, headers: response.headers };
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body.dump();
      throw new DownloadProblem(`it is ${declared} bytes, more than the ${maxBytes} allowed`);
    }
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > maxBytes) return callback(new DownloadProblem(`it is more than the ${maxBytes} bytes allowed`));
        hash.update(chunk);
        if (!input.file) chunks.push(chunk);
        callback(null, chunk);
      },
    });
    if (input.file) await pipeline(response.body, meter, createWriteStream(input.file));
    else await pipeline(response.body, meter, new Writable({ write: (_chunk, _encoding, done) => done() }));
    const downloaded = { sha256: hash.digest('hex'), bytes, ...(input.file ? {} : { body: Buffer.concat(chunks) }) };
    return { status: 200, headers: response.headers, downloaded };
  }
}
