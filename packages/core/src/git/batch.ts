import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { PhpublishError } from '../errors/index.js';
import { type GitContext, gitBinary } from './context.js';

/**
 * git maps pack files into memory as it reads them, by default up to the whole pack, so its
 * memory would grow with the repository: these limits on pack windows (four windows of 1 MiB at
 * most) and the delta cache keep it flat, at no measurable cost in time. For every git that reads
 * many objects.
 */
export const PACK_MEMORY_LIMITS = [
  '-c',
  'core.packedGitWindowSize=1m',
  '-c',
  'core.packedGitLimit=4m',
  '-c',
  'core.deltaBaseCacheLimit=16m',
] as const;

/** The header git gives an object it found: `<oid> <type> <size>`. */
export interface BatchHeader {
  oid: string;
  type: string;
  size: number;
}

/** An object read whole. */
export interface BatchObject extends BatchHeader {
  content: Buffer;
}

export interface CatFileBatchOptions {
  /** Run within PACK_MEMORY_LIMITS (for a reader of many objects). */
  packLimits?: boolean;
  /** The error a failure becomes (git stopped, an answer that is not git's); ARCHIVE_GIT_FAILED by default. */
  failure?: (problem: string) => Error;
}

/** How far the reader runs ahead of its consumer: bytes buffered before git is paused. */
const HIGH_WATER = 1024 * 1024;
/** How many requests are written to git before their answers are read. */
const REQUESTS_AHEAD = 256;

const archiveGitFailed = (problem: string) =>
  new PhpublishError('ARCHIVE_GIT_FAILED', { command: 'cat-file --batch', problem });

/**
 * The one `git cat-file --batch` reader: objects are requested by name (an id, or `<ref>^{commit}`)
 * in the order they will be read, and each answer is read back in that order — its header
 * (`next`), then its content whole (`content`) or in pieces (`pieces`), with backpressure so
 * memory stays flat however large the objects are. One reader, one git, one consumer at a time.
 */
export class CatFileBatch {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #failure: (problem: string) => Error;
  readonly #chunks: Buffer[] = [];
  #buffered = 0;
  #ended = false;
  #stderr = '';
  #wake: (() => void) | undefined;
  readonly #pending: string[] = [];
  #written = 0;
  #read = 0;
  /** The name of the object being read, for messages. */
  #current = '';
  #closing = false;

  constructor(context: GitContext, { packLimits = false, failure = archiveGitFailed }: CatFileBatchOptions = {}) {
    this.#failure = failure;
    const args = [...(packLimits ? PACK_MEMORY_LIMITS : []), 'cat-file', '--batch'];
    this.#child = spawn(gitBinary(context), args, {
      cwd: context.cwd,
      env: context.env as NodeJS.ProcessEnv | undefined,
      stdio: 'pipe',
    });
    this.#child.stdout.on('data', (chunk: Buffer) => {
      // Closed: what git still writes is read and dropped, so that it can finish.
      if (this.#closing) return;
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered > HIGH_WATER) this.#child.stdout.pause();
      this.#notify();
    });
    this.#child.stdout.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    this.#child.stderr.on('data', (chunk: Buffer) => {
      if (this.#stderr.length < 4096) this.#stderr += chunk.toString('utf8');
    });
    this.#child.on('error', (error) => {
      this.#stderr += String(error);
      this.#ended = true;
      this.#notify();
    });
    // git exits early on a broken repository; what it says on stderr explains why.
    this.#child.stdin.on('error', () => {});
  }

  /** Queues objects to be read, in this order. A name must not contain a line break. */
  request(names: Iterable<string>): void {
    for (const name of names) this.#pending.push(name);
    this.#feed();
  }

  /**
   * The header of the next requested object; undefined when git has no such object ("missing",
   * "ambiguous": nothing follows). Otherwise the caller reads its `size` bytes next.
   */
  async next(): Promise<BatchHeader | undefined> {
    this.#current = this.#pending[this.#read] ?? '';
    this.#read += 1;
    this.#feed();
    const line = await this.#readLine();
    const [oid, type, size, extra] = line.split(' ');
    if (size === undefined) return undefined;
    if (extra !== undefined || !/^[0-9a-f]{40,64}$/.test(oid!) || !/^\d+$/.test(size)) {
      throw this.#failure(`unexpected answer "${line}"`);
    }
    return { oid: oid!, type: type!, size: Number(size) };
  }

  /** The header of the next requested object, which must be `oid` and exist. */
  async nextOf(oid: string): Promise<BatchHeader> {
    const header = await this.next();
    if (!header) throw this.#failure(`object ${oid} is missing`);
    if (header.oid !== oid) throw this.#failure(`unexpected answer for ${oid}: ${header.oid}`);
    return header;
  }

  /** The whole content of the current object (`size` from its header). */
  async content(size: number): Promise<Buffer> {
    const content = await this.#take(size);
    await this.#take(1);
    return content;
  }

  /**
   * The content of the current object in pieces of exactly `pieceSize` bytes (the last one
   * shorter); a piece's memory may be reused once the next is asked for.
   */
  async *pieces(size: number, pieceSize: number): AsyncGenerator<Buffer> {
    for (let at = 0; at < size; at += pieceSize) yield await this.#take(Math.min(pieceSize, size - at));
    await this.#take(1);
  }

  /** Requests `names` and reads each whole, in order; undefined for one git does not have. */
  async readAll(names: readonly string[]): Promise<(BatchObject | undefined)[]> {
    this.request(names);
    const objects: (BatchObject | undefined)[] = [];
    for (let i = 0; i < names.length; i++) {
      const header = await this.next();
      objects.push(header && { ...header, content: await this.content(header.size) });
    }
    return objects;
  }

  /** Stops git, also with objects requested and not read (after a failure). */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('close', resolve));
    this.#closing = true;
    this.#chunks.length = 0;
    this.#buffered = 0;
    this.#child.stdin.end();
    this.#child.stdout.resume();
    // A reader closed early must not leave git running.
    const timer = setTimeout(() => this.#child.kill(), 2000);
    await exited;
    clearTimeout(timer);
  }

  #feed(): void {
    // Top up in batches: one write (and one wake-up of git) per batch, not one per object.
    if (this.#written - this.#read > REQUESTS_AHEAD / 2) return;
    const lines: string[] = [];
    while (this.#written < this.#pending.length && this.#written - this.#read < REQUESTS_AHEAD) {
      lines.push(this.#pending[this.#written]!);
      this.#written += 1;
    }
    if (lines.length > 0) this.#child.stdin.write(`${lines.join('\n')}\n`);
    // The requests already answered need not be kept.
    if (this.#read > 4096 && this.#read === this.#written) {
      this.#pending.splice(0, this.#written);
      this.#written = 0;
      this.#read = 0;
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #fill(n: number): Promise<void> {
    while (this.#buffered < n) {
      if (this.#ended) {
        const problem = this.#stderr.trim() || 'git stopped before answering';
        throw this.#failure(this.#current ? `object ${this.#current} could not be read: ${problem}` : problem);
      }
      this.#child.stdout.resume();
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  async #take(n: number): Promise<Buffer> {
    await this.#fill(n);
    let out: Buffer;
    const first = this.#chunks[0];
    if (n === 0) {
      out = Buffer.alloc(0);
    } else if (first!.length >= n) {
      out = first!.subarray(0, n);
      if (first!.length === n) this.#chunks.shift();
      else this.#chunks[0] = first!.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      for (let offset = 0; offset < n; ) {
        const chunk = this.#chunks[0]!;
        const k = Math.min(chunk.length, n - offset);
        chunk.copy(out, offset, 0, k);
        offset += k;
        if (k === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(k);
      }
    }
    this.#buffered -= n;
    if (this.#buffered < HIGH_WATER / 2) this.#child.stdout.resume();
    return out;
  }

  async #readLine(): Promise<string> {
    for (;;) {
      let seen = 0;
      for (const chunk of this.#chunks) {
        const nl = chunk.indexOf(0x0a);
        if (nl !== -1) {
          const line = await this.#take(seen + nl + 1);
          return line.toString('latin1', 0, line.length - 1);
        }
        seen += chunk.length;
      }
      await this.#fill(this.#buffered + 1);
    }
  }
}
