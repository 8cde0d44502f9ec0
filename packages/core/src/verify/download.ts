import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import type { HttpDeps } from '../http/index.js';

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
  http: Pick<HttpDeps, 'dispatcher' | 'userAgent' | 'timeoutMs'>;
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

/**
 * Downloads a binary body (a zip, a bundle) to a file or to memory while hashing it, following
 * redirects (GitHub's zipball and asset URLs redirect to storage on another host). One attempt:
 * requestWithRetry, phpublish's retrying client, reads bodies as text.
 */
export async function download(input: DownloadInput): Promise<Downloaded> {
  const maxBytes = input.maxBytes ?? 512 * 1024 * 1024;
  let url = input.url;
  for (let redirects = 0; ; redirects++) {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        dispatcher: input.http.dispatcher,
        method: 'GET',
        headers: { 'user-agent': input.http.userAgent, ...(redirects === 0 ? input.headers : {}) },
        headersTimeout: input.http.timeoutMs,
        bodyTimeout: input.http.timeoutMs,
      });
    } catch (error) {
      throw new DownloadProblem(networkReason(error));
    }
    const location = response.headers['location'];
    if (REDIRECTS.has(response.statusCode) && typeof location === 'string') {
      await response.body.dump();
      if (redirects >= MAX_REDIRECTS) throw new DownloadProblem(`more than ${MAX_REDIRECTS} redirects`);
      url = new URL(location, url).href;
      continue;
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new DownloadProblem(`HTTP ${response.statusCode}`, response.statusCode);
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
    try {
      if (input.file) await pipeline(response.body, meter, createWriteStream(input.file));
      else await pipeline(response.body, meter, new Writable({ write: (_chunk, _encoding, done) => done() }));
    } catch (error) {
      if (error instanceof DownloadProblem) throw error;
      throw new DownloadProblem(networkReason(error));
    }
    return { sha256: hash.digest('hex'), bytes, ...(input.file ? {} : { body: Buffer.concat(chunks) }) };
  }
}

function networkReason(error: unknown): string {
  const code = String((error as { code?: unknown })?.code ?? '');
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'no answer in time';
  return (error as Error)?.message?.split('\n')[0] ?? 'network error';
}
