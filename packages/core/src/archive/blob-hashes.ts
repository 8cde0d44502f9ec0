import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, type Hash, hash as oneShotHash } from 'node:crypto';
import { PhpublishError } from '../errors/index.js';
import { type AnswerSocket, canMakeSocket, connectAnswerSocket } from './answer-socket.js';
import { CAT_FILE_BATCH, type GitContext } from './git-objects.js';

/** A blob to hash: its object id and the size ls-tree gave. */
export interface BlobToHash {
  oid: string;
  size: number;
}

/**
 * One `git cat-file --batch`, started before it is needed: where its answers go, what it said on
 * stderr, and when it ended (exited, and every answer read). Its answers come through a local
 * socket read into one reused buffer where one can be made, else through a pipe.
 */
interface Reader {
  /** Once git has started: `child` is set. */
  started: Promise<void>;
  child: ChildProcess | undefined;
  onAnswers: (bytes: Buffer) => void;
  stderr: string;
  closed: Promise<void>;
  exited: boolean;
}

function startReader(git: GitContext, socketPrefix: string | undefined): Reader {
  const reader: Reader = {
    started: Promise.resolve(),
    child: undefined,
    onAnswers: () => {},
    stderr: '',
    closed: Promise.resolve(),
    exited: false,
  };
  const startGit = (pair?: AnswerSocket) => {
    const child = spawn('git', [...CAT_FILE_BATCH], {
      cwd: git.cwd,
      env: git.env as NodeJS.ProcessEnv | undefined,
      stdio: ['pipe', pair ? pair.peer : 'pipe', 'pipe'],
    });
    reader.child = child;
    const exited = new Promise<void>((resolve) =>
      child.on('close', () => {
        reader.exited = true;
        resolve();
      }),
    );
    let answered: Promise<void>;
    if (pair) {
      // git has its own copy of its end.
      pair.peer.destroy();
      pair.reader.on('error', (error) => {
        reader.stderr += String(error);
      });
      answered = new Promise((resolve) => pair.reader.on('close', () => resolve()));
    } else {
      child.stdout!.on('data', (chunk: Buffer) => reader.onAnswers(chunk));
      answered = new Promise((resolve) => child.stdout!.on('close', () => resolve()));
    }
    reader.closed = Promise.all([exited, answered]).then(() => {});
    child.stderr!.on('data', (chunk: Buffer) => {
      if (reader.stderr.length < 4096) reader.stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      reader.stderr += String(error);
    });
    // git exits early on a broken repository; what it says on stderr explains why.
    child.stdin!.on('error', () => {});
  };
  if (canMakeSocket(socketPrefix)) {
    reader.started = connectAnswerSocket(socketPrefix, (bytes) => reader.onAnswers(bytes)).then(startGit, () =>
      startGit(),
    );
  } else {
    startGit();
  }
  return reader;
}

/**
 * Gits that hash blobs, started at once (one per core) so that their start-up overlaps whatever
 * comes before the list of blobs is known. `hash` uses them once; `close` stops any left.
 */
export class BlobHashers {
  readonly #readers: Reader[];

  /**
   * `socketPrefix`: where each git's local socket may be made, for a moment, in a private
   * directory `mkdtemp(socketPrefix)`; without it, its answers come through a pipe.
   */
  constructor(git: GitContext, readers: number, socketPrefix?: string) {
    this.#readers = Array.from({ length: Math.max(1, readers) }, () => startReader(git, socketPrefix));
  }

  /**
   * The SHA-256 of each blob, in the order given, 32 bytes each one after the other. The gits read
   * consecutive parts of the list side by side (inflating git's objects is most of the work), and
   * each answer is hashed as its bytes arrive: no promise, copy or buffer per blob, and memory does
   * not grow with a blob's size.
   */
  async hash(blobs: readonly BlobToHash[]): Promise<Buffer> {
    const hashes = Buffer.alloc(32 * blobs.length);
    await Promise.all(this.#readers.map((reader) => reader.started));
    // Parts of about equal bytes, each a run of consecutive blobs (neighbours in the tree are often
    // neighbours in the pack).
    const total = blobs.reduce((sum, blob) => sum + blob.size + 1024, 0);
    const parts: Array<[number, number]> = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < blobs.length; i++) {
      bytes += blobs[i]!.size + 1024;
      if (bytes >= (total / this.#readers.length) * (parts.length + 1) || i === blobs.length - 1) {
        parts.push([start, i + 1]);
        start = i + 1;
      }
    }
    // When one part fails, the others' gits are stopped too.
    const stop = new AbortController();
    const results = await Promise.allSettled(
      parts.map(([from, to], i) =>
        hashPart(this.#readers[i]!, blobs, from, to, hashes, stop.signal).catch((error: unknown) => {
          stop.abort();
          throw error;
        }),
      ),
    );
    const failure = results.find((r) => r.status === 'rejected' && !isAbort(r.reason));
    if (failure) throw (failure as PromiseRejectedResult).reason;
    return hashes;
  }

  /** Stops the gits (those not used end their input; none outlives this). */
  async close(): Promise<void> {
    for (const reader of this.#readers) {
      await reader.started;
      if (!reader.exited) reader.child!.stdin!.end();
      const timer = setTimeout(() => reader.child!.kill(), 2000);
      await reader.closed;
      clearTimeout(timer);
    }
  }
}

const isAbort = (error: unknown) => error instanceof Error && error.name === 'AbortError';

const oneShot = (data: Buffer): Buffer => oneShotHash('sha256', data, 'buffer');

function gitFailure(problem: string): PhpublishError {
  return new PhpublishError('ARCHIVE_GIT_FAILED', { command: 'cat-file --batch', problem });
}

function hashPart(
  reader: Reader,
  blobs: readonly BlobToHash[],
  from: number,
  to: number,
  hashes: Buffer,
  signal: AbortSignal,
) {
  const child = reader.child!;
  return new Promise<void>((resolve, reject) => {
    let failure: Error | undefined;
    // Where the parse of git's answers stands: a header line, a blob's bytes, or the newline after it.
    let next = from;
    let state: 'header' | 'body' | 'separator' = 'header';
    let header: Buffer[] = [];
    let left = 0;
    let hash: Hash | undefined;
    const fail = (error: Error) => {
      failure ??= error;
      child.kill();
    };
    reader.onAnswers = (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length && !failure) {
        const blob = blobs[next];
        if (!blob) return fail(gitFailure('git answered more than was asked'));
        if (state === 'header') {
          const newline = chunk.indexOf(10, at);
          if (newline === -1) {
            // A copy: a piece's memory may be reused by the next read.
            header.push(Buffer.from(chunk.subarray(at)));
            return;
          }
          header.push(chunk.subarray(at, newline));
          at = newline + 1;
          const line = Buffer.concat(header).toString('latin1');
          header = [];
          const [oid, type, size] = line.split(' ');
          if (oid !== blob.oid || type !== 'blob' || Number(size) !== blob.size) {
            const problem =
              type === 'missing' ? `object ${blob.oid} is missing` : `unexpected answer "${line}" for ${blob.oid}`;
            return fail(gitFailure(problem));
          }
          left = blob.size;
          if (at + left <= chunk.length) {
            // The whole blob is in this piece (most are): hashed in one call, with no hash object.
            oneShot(chunk.subarray(at, at + left)).copy(hashes, 32 * next);
            at += left;
            left = 0;
            hash = undefined;
            state = 'separator';
          } else {
            hash = createHash('sha256');
            state = 'body';
          }
        } else if (state === 'body') {
          const n = Math.min(left, chunk.length - at);
          hash!.update(chunk.subarray(at, at + n));
          at += n;
          left -= n;
          if (left === 0) state = 'separator';
        } else {
          if (chunk[at] !== 10) return fail(gitFailure(`unexpected answer after object ${blob.oid}`));
          at += 1;
          hash?.digest().copy(hashes, 32 * next);
          next += 1;
          state = 'header';
          if (next === to) child.stdin!.end();
        }
      }
    };
    const onAbort = () => fail(new DOMException('another part failed', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    void reader.closed.then(() => {
      signal.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else if (next < to) reject(gitFailure(reader.stderr.trim() || 'git stopped before answering'));
      else resolve();
    });
    child.stdin!.write(
      blobs
        .slice(from, to)
        .map((blob) => `${blob.oid}\n`)
        .join(''),
    );
  });
}
