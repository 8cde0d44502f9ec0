import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { request } from 'undici';
import {
  type AnswerKind,
  AnswerMeter,
  abandonBody,
  type HttpDeps,
  HttpNetworkError,
  startAnswerDeadline,
  withRetry,
} from '../http/index.js';

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
  /**
   * With `file`: a body up to this size is kept in memory instead (and returned as `body`), the
   * file being written only for larger ones. 0 by default (always the file).
   */
  memoryUpTo?: number;
  /** Only the hash and size are wanted: the bytes are neither kept nor written (no `file`). */
  hashOnly?: boolean;
  /** Retries follow its policy (timeouts, resets, 408/429/5xx), as for every other request. */
  http: HttpDeps;
  /** Sent with the first request only, never after a redirect (pre-signed storage, codeload). */
  headers?: Record<string, string>;
  /**
   * What the body is, for its size limit (`http.limits`): `dist` by default. A larger body is
   * refused with REMOTE_ANSWER_TOO_LARGE as soon as that is known, and not retried.
   */
  answer?: AnswerKind;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export interface Downloaded {
  /** SHA-256 of the bytes, lowercase hex. */
  sha256: string;
  bytes: number;
  /** The bytes, when they were kept in memory (no file, or small enough). */
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
 * size limit of its kind (REMOTE_ANSWER_TOO_LARGE) or a redirect loop is not retried. Each attempt's
 * body must arrive whole within the answer deadline (`http.answerDeadlineMs`, 4 × the request timeout
 * by default), like every answer phpublish reads.
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
    const limit = new AnswerMeter(input.url, input.answer ?? 'dist', input.http.limits);
    try {
      limit.checkDeclared(response.headers);
    } catch (error) {
      abandonBody(response.body);
      throw error;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        try {
          limit.add(chunk.length);
        } catch (error) {
          return callback(error as Error);
        }
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    const sink = input.hashOnly
      ? undefined
      : new MemoryOrFile(input.file, input.file ? (input.memoryUpTo ?? 0) : Number.POSITIVE_INFINITY);
    // The same whole-answer deadline as every other answer: a server that trickles a byte now and
    // then (never a gap as long as the timeout) cannot hold `phpublish verify` for minutes.
    const clearDeadline = startAnswerDeadline(response.body, input.http);
    try {
      await pipeline(response.body, meter, sink ?? new Writable({ write: (_chunk, _encoding, done) => done() }));
    } finally {
      clearDeadline();
    }
    const body = sink?.body();
    const downloaded = { sha256: hash.digest('hex'), bytes, ...(body ? { body } : {}) };
    return { status: 200, headers: response.headers, downloaded };
  }
}

/**
 * Keeps a body in memory while it is at most `memoryUpTo` bytes, and moves it to `file` (what it
 * has so far, then the rest as it comes) once it is larger: small zips are digested without a
 * scratch file, large ones never sit in memory whole.
 */
class MemoryOrFile extends Writable {
  readonly #file: string | undefined;
  readonly #memoryUpTo: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #out: WriteStream | undefined;

  constructor(file: string | undefined, memoryUpTo: number) {
    super();
    this.#file = file;
    this.#memoryUpTo = memoryUpTo;
  }

  /** The whole body, unless it went to the file. */
  body(): Buffer | undefined {
    return this.#out ? undefined : Buffer.concat(this.#chunks, this.#size);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.#size += chunk.length;
    if (!this.#out && (this.#size <= this.#memoryUpTo || !this.#file)) {
      this.#chunks.push(chunk);
      done();
      return;
    }
    const out = this.#toFile();
    if (out.write(chunk)) done();
    else out.once('drain', () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    // Without a memory allowance the file is written even for an empty body, as before.
    const out = this.#out ?? (this.#file && this.#memoryUpTo === 0 ? this.#toFile() : undefined);
    if (!out) {
      done();
      return;
    }
    out.end();
    finished(out).then(() => done(), done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.#out?.destroy();
    done(error);
  }

  /** The file, opened once; what was held in memory goes first. */
  #toFile(): WriteStream {
    if (this.#out) return this.#out;
    const out = createWriteStream(this.#file!);
    out.on('error', (error) => this.destroy(error));
    for (const held of this.#chunks) out.write(held);
    this.#chunks = [];
    this.#out = out;
    return out;
  }
}
