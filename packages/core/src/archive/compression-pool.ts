import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PhpublishError } from '../errors/index.js';
import { canMakeSocket } from './answer-socket.js';
import { CAT_FILE_BATCH, type GitContext } from './git-objects.js';

/**
 * The fixed compression settings of phpublish zips: raw deflate, zlib level 6 (zlib's and git's
 * default), a 32 KiB window, memLevel 8, the default strategy. Part of what makes the bytes
 * reproducible; changing any of them changes every zip.
 */
export const DEFLATE_OPTIONS = { level: 6, windowBits: 15, memLevel: 8, strategy: 0 } as const;

/** Bytes of file content one slot holds; files up to this size are compressed by the workers. */
export const SLOT_BYTES = 1024 * 1024;

/** Files one slot holds at most: room for their results is part of the slot. */
export const SLOT_FILES = 128;

/** The views of a slot's results (CompressedBatch) over its shared bytes. */
function resultViews(meta: SharedArrayBuffer): CompressedBatch {
  return {
    crcs: new Uint32Array(meta, 0, SLOT_FILES),
    lengths: new Int32Array(meta, 4 * SLOT_FILES, SLOT_FILES),
    shas: new Uint8Array(meta, 8 * SLOT_FILES, 32 * SLOT_FILES),
  };
}

/**
 * What a worker found for the files of a batch, by their index in the batch: CRC-32, SHA-256
 * (32 bytes each) and the length of the raw deflate stream in the slot's output, one after the
 * other, or -1 for a file that deflate does not make smaller (it is stored as it is in the input).
 * Typed arrays over the slot's shared memory, valid until the slot is released: nothing per file
 * is allocated, copied between threads or left for the garbage collector.
 */
export interface CompressedBatch {
  crcs: Uint32Array;
  lengths: Int32Array;
  shas: Uint8Array;
}

/**
 * The worker's code. Each worker reads the blobs of its batches from its own
 * `git cat-file --batch` straight into the batch's shared slot, then checksums, hashes and
 * deflates them synchronously (an asynchronous zlib call per file costs more in bookkeeping than
 * compressing a few kilobytes does). So the file contents never pass through the main thread, and
 * reading from git runs on every core too. Slots are allocated once and shared: nothing per batch
 * is copied between threads or left for the garbage collector, so memory stays flat. Plain
 * JavaScript evaluated in the worker, so that it runs the same from the TypeScript sources (tests)
 * and from the build; `process.getBuiltinModule` works whether the worker evaluates it as CommonJS
 * or, under `--input-type=module`, as an ES module.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const zlib = process.getBuiltinModule('node:zlib');
const { hash } = process.getBuiltinModule('node:crypto');
const { spawn } = process.getBuiltinModule('node:child_process');
const net = process.getBuiltinModule('node:net');
const { mkdtempSync, rmSync } = process.getBuiltinModule('node:fs');
const { options, slots, git, catFile, mode, slotFiles, answerSocket } = workerData;
const inputs = slots.map((s) => Buffer.from(s.input));
const outputs = slots.map((s) => Buffer.from(s.output));
// Where the results go, laid out as resultViews lays them out.
const results = slots.map((s) => ({
  crcs: new Uint32Array(s.meta, 0, slotFiles),
  lengths: new Int32Array(s.meta, 4 * slotFiles, slotFiles),
  shas: new Uint8Array(s.meta, 8 * slotFiles, 32 * slotFiles),
}));
// Input compressed between two looks at git's pipe: git keeps sending while this worker compresses.
const TURN_BYTES = 128 * 1024;

/**
 * deflate(content, output, at) writes the raw deflate stream of content into output at offset at and
 * returns its length, or -1 when it would not be smaller than content (the file is then stored).
 * One zlib stream, reset between files, deflates straight into the shared slot: deflateRawSync
 * would set up and tear down a stream and allocate its result for every file, which on many small
 * files costs a good part of the time and most of the garbage. Both give the same bytes (zlib's
 * deflateReset restores a fresh stream's state); the reset stream uses Node's zlib handle, so
 * when a Node.js release does not have it, deflateRawSync is used.
 */
function makeDeflate() {
  if (mode === 'reused-stream') try {
    const stream = zlib.createDeflateRaw(options);
    const handle = stream._handle;
    const state = stream._writeState;
    if (handle && typeof handle.writeSync === 'function' && typeof handle.reset === 'function' && state instanceof Uint32Array) {
      return (content, output, at) => {
        // Room for as many bytes as the file has: a stream that fills it is not smaller.
        const room = Math.min(content.length, output.length - at);
        if (room <= 1) return -1;
        handle.reset();
        handle.writeSync(zlib.constants.Z_FINISH, content, 0, content.length, output, at, room);
        // Room left over means the stream ended in fewer bytes than the file has.
        return state[0] > 0 ? room - state[0] : -1;
      };
    }
  } catch {}
  return (content, output, at) => {
    if (content.length === 0) return -1;
    // An output chunk about the file's size: one allocation instead of zlib's 16 KiB default.
    const chunkSize = Math.min(65536, Math.max(1024, content.length + 64));
    const deflated = zlib.deflateRawSync(content, { ...options, chunkSize });
    if (deflated.length >= content.length) return -1;
    deflated.copy(output, at);
    return deflated.length;
  };
}
const deflate = makeDeflate();

// Batches in the order they came (compressed in that order), and those git still sends blobs for.
const toCompress = [];
const toRead = [];
let reader;
let failed = false;
let scheduled = false;
// Where the parse of git's answers stands: a header line, a blob's bytes, or the newline after it.
let state = 'header';
let headerParts = [];
let copied = 0;

function fail(problem) {
  if (failed) return;
  failed = true;
  toRead.length = 0;
  toCompress.length = 0;
  parentPort.postMessage({ gitFailure: problem });
}

/**
 * Starts this worker's git. Its answers come, where it can be set up, through a local socket read
 * into one buffer reused from read to read (net's onread): a pipe from child_process gives a new
 * buffer for every read, left to the garbage collector, which costs time and lets tens of
 * megabytes pile up between collections. Where the socket cannot be set up, through a pipe.
 * What this worker asks for before git has started waits in reader.waiting.
 */
function startReader() {
  reader = { child: undefined, stderr: '', exited: false, ended: false, closed: false, waiting: [] };
  if (!answerSocket) return spawnGit(undefined);
  connectAnswers(answerSocket).then(spawnGit, () => spawnGit(undefined));
}

// The buffer git's answers are read into through the socket; each read is handled before the next.
const ANSWER_BUFFER_BYTES = 256 * 1024;

/**
 * A connected pair of local sockets (as answer-socket.ts makes them, in this worker): they meet
 * through a socket in a private directory \`mkdtemp(prefix)\`, removed as soon as they are
 * connected; \`socket\` reads into a reused buffer, \`peer\` becomes git's standard output.
 */
function connectAnswers(prefix) {
  return new Promise((resolve, reject) => {
    let directory;
    try {
      directory = mkdtempSync(prefix);
    } catch (error) {
      return reject(error);
    }
    const path = directory + '/s';
    const server = net.createServer();
    let socket;
    const removeMeetingPoint = () => {
      server.close();
      rmSync(directory, { recursive: true, force: true });
    };
    const refuse = (error) => {
      removeMeetingPoint();
      socket?.destroy();
      reject(error);
    };
    server.once('error', refuse);
    server.once('connection', (peer) => {
      removeMeetingPoint();
      socket.removeListener('error', refuse);
      resolve({ socket, peer });
    });
    server.listen(path, () => {
      const buffer = Buffer.allocUnsafe(ANSWER_BUFFER_BYTES);
      socket = net.connect({
        path,
        onread: {
          buffer,
          callback: (length, bytes) => {
            onAnswer(bytes.subarray(0, length));
            return true;
          },
        },
      });
      socket.once('error', refuse);
    });
  });
}

function spawnGit(pair) {
  const child = spawn('git', catFile, { cwd: git.cwd, env: git.env, stdio: ['pipe', pair ? pair.peer : 'pipe', 'pipe'] });
  reader.child = child;
  if (pair) {
    // git has its own copy of its end.
    pair.peer.destroy();
    pair.socket.on('error', (error) => {
      reader.stderr += String(error);
    });
    pair.socket.on('close', () => readerDone('ended'));
  } else {
    child.stdout.on('data', onAnswer);
    child.stdout.on('close', () => readerDone('ended'));
  }
  child.stderr.on('data', (chunk) => {
    if (reader.stderr.length < 4096) reader.stderr += chunk.toString('utf8');
  });
  child.on('error', (error) => {
    reader.stderr += String(error);
  });
  child.on('close', () => readerDone('exited'));
  // git exits early on a broken repository; what it says on stderr explains why.
  child.stdin.on('error', () => {});
  for (const text of reader.waiting) child.stdin.write(text);
  reader.waiting = [];
  if (closing) stopReader();
}

/** Once git has exited and every answer it wrote has been read: what was not answered fails. */
function readerDone(what) {
  reader[what] = true;
  if (!reader.exited || !reader.ended || reader.closed) return;
  reader.closed = true;
  if (toRead.length > 0) fail(reader.stderr.trim() || 'git stopped before answering');
  if (closing) process.exit(0);
}

function ask(text) {
  if (reader.child) reader.child.stdin.write(text);
  else reader.waiting.push(text);
}

let closing = false;

/** Ends git's input (or stops it, with answers still on their way: git would wait for them to be read). */
function stopReader() {
  if (reader.closed) process.exit(0);
  if (toRead.length > 0 || failed) reader.child.kill();
  else reader.child.stdin.end();
}

/** The index of the next file of the batch that git sends, from \`from\` on (count when none): '' is a converted file, already in the slot. */
function nextRead(batch, from) {
  let i = from;
  while (i < batch.count && batch.oids[i] === '') i += 1;
  return i;
}

const BLOB = Buffer.from(' blob ', 'latin1');

/**
 * Whether header[from, to) is "<oid> blob <size>" for the batch's file i, compared byte by byte
 * (no string per file).
 */
function isHeaderOf(header, from, to, batch, i) {
  const oid = batch.oids[i];
  if (to - from <= oid.length + BLOB.length) return false;
  for (let k = 0; k < oid.length; k++) if (header[from + k] !== oid.charCodeAt(k)) return false;
  const blobAt = from + oid.length;
  for (let k = 0; k < BLOB.length; k++) if (header[blobAt + k] !== BLOB[k]) return false;
  // The size in decimal, without leading zeros (as git writes it).
  const sizeAt = blobAt + BLOB.length;
  if (header[sizeAt] === 0x30 && to - sizeAt > 1) return false;
  let size = 0;
  for (let k = sizeAt; k < to; k++) {
    const digit = header[k] - 0x30;
    if (digit < 0 || digit > 9) return false;
    size = size * 10 + digit;
  }
  return size === batch.sizes[i];
}

function onAnswer(chunk) {
  let at = 0;
  while (at < chunk.length && !failed) {
    const batch = toRead[0];
    if (!batch) return fail('git answered more than was asked');
    const file = batch.reading;
    if (state === 'header') {
      const newline = chunk.indexOf(10, at);
      if (newline === -1) {
        // A copy: the buffer git's answers are read into is reused by the next read.
        headerParts.push(Buffer.from(chunk.subarray(at)));
        return;
      }
      // Most headers arrive whole and are compared in place; one cut by the pipe is put together.
      let header = chunk;
      let from = at;
      let to = newline;
      if (headerParts.length > 0) {
        headerParts.push(chunk.subarray(at, newline));
        header = Buffer.concat(headerParts);
        headerParts = [];
        from = 0;
        to = header.length;
      }
      at = newline + 1;
      if (!isHeaderOf(header, from, to, batch, file)) {
        const line = header.toString('latin1', from, to);
        const oid = batch.oids[file];
        return fail(line === oid + ' missing' ? 'object ' + oid + ' is missing' : 'unexpected answer "' + line + '"');
      }
      copied = 0;
      state = batch.sizes[file] > 0 ? 'body' : 'separator';
    } else if (state === 'body') {
      const size = batch.sizes[file];
      const n = Math.min(size - copied, chunk.length - at);
      chunk.copy(inputs[batch.slot], batch.offsets[file] + copied, at, at + n);
      copied += n;
      at += n;
      if (copied === size) state = 'separator';
    } else {
      if (chunk[at] !== 10) return fail('unexpected answer after object ' + batch.oids[file]);
      at += 1;
      state = 'header';
      batch.reading = nextRead(batch, batch.reading + 1);
      if (batch.reading === batch.count) toRead.shift();
      schedule();
    }
  }
}

function schedule() {
  if (scheduled || failed) return;
  scheduled = true;
  setImmediate(compressSome);
}

/**
 * Compresses the files that are there, in order, a turn's worth at a time: between turns the event
 * loop reads what git sent, straight into the slots, so git never waits long for this worker.
 */
function compressSome() {
  scheduled = false;
  let budget = TURN_BYTES;
  while (toCompress.length > 0 && !failed) {
    const batch = toCompress[0];
    if (batch.done === batch.count) {
      toCompress.shift();
      parentPort.postMessage({ slot: batch.slot });
      continue;
    }
    // Files before the one git is sending are all there.
    if (batch.done >= batch.reading) return;
    if (budget <= 0) return schedule();
    try {
      budget -= compressFile(batch);
    } catch (error) {
      toCompress.shift();
      parentPort.postMessage({ slot: batch.slot, error: String((error && error.stack) || error) });
    }
  }
}

function compressFile(batch) {
  const i = batch.done;
  const size = batch.sizes[i];
  const offset = batch.offsets[i];
  const content = inputs[batch.slot].subarray(offset, offset + size);
  batch.crcs[i] = zlib.crc32(content);
  // As a Latin-1 string, one character a byte: smaller than a Buffer, and 'latin1' is an encoding
  // crypto takes on its fast path ('buffer' is not, and costs a lowered copy of its name per call).
  const digest = hash('sha256', content, 'latin1');
  for (let k = 0; k < 32; k++) batch.shas[32 * i + k] = digest.charCodeAt(k);
  const length = deflate(content, outputs[batch.slot], batch.written);
  batch.lengths[i] = length;
  if (length >= 0) batch.written += length;
  batch.done += 1;
  return size + 256;
}

// git starts while the main thread plans the archive.
startReader();

parentPort.on('message', (message) => {
  if (message.close) {
    closing = true;
    if (reader.child) stopReader();
    return;
  }
  if (failed) return;
  // The batch's files by their index in it, in the message's arrays: no object per file.
  const { sizes, oids } = message;
  const count = sizes.length;
  const offsets = new Array(count);
  let offset = 0;
  let read = 0;
  for (let i = 0; i < count; i++) {
    offsets[i] = offset;
    offset += sizes[i];
    if (oids[i] !== '') read += 1;
  }
  const { crcs, lengths, shas } = results[message.slot];
  const batch = { slot: message.slot, count, sizes, oids, offsets, reading: 0, done: 0, written: 0, crcs, lengths, shas };
  batch.reading = nextRead(batch, 0);
  toCompress.push(batch);
  if (read > 0) {
    toRead.push(batch);
    ask((read === count ? oids : oids.filter((oid) => oid !== '')).join('\\n') + '\\n');
  }
  schedule();
});
`;

/**
 * Shared memory for one batch: its contents in, the deflated streams out (never larger than what
 * went in), and the results per file.
 */
export interface Slot {
  readonly index: number;
  readonly input: Buffer;
  readonly output: Buffer;
  readonly results: CompressedBatch;
}

interface Reply {
  slot?: number;
  error?: string;
  gitFailure?: string;
}

interface Job {
  resolve(results: CompressedBatch): void;
  reject(error: Error): void;
}

/**
 * How workers deflate: one zlib stream reset between files (the default, when Node's zlib handle
 * allows it) or a stream per file. Both give the same bytes.
 */
export type DeflateMode = 'reused-stream' | 'per-file';

export interface CompressionPoolOptions {
  /** Where the workers read blobs from. */
  git: GitContext;
  /** Worker threads; by default one per core. Does not change the bytes. */
  concurrency?: number | undefined;
  deflate?: DeflateMode | undefined;
  /**
   * Where each worker may make the local socket its git answers through, for a moment, in a
   * private directory `mkdtemp(`${answerSockets}-<worker>-`)` (beside the zip: the pool reads no
   * environment). Without it, or where such a path is too long for a socket, through pipes.
   */
  answerSockets?: string | undefined;
}

/**
 * Worker threads that read, checksum, hash and deflate batches of files in shared slots, so that
 * every core works. The number of slots bounds the memory in flight: the producer waits for a free
 * slot before it adds more.
 */
export class CompressionPool {
  readonly #workers: Array<{ worker: Worker; busy: number; exited: boolean }>;
  readonly #slots: Slot[];
  readonly #free: Slot[];
  readonly #waiting: Array<{ resolve(slot: Slot): void; reject(error: unknown): void }> = [];
  readonly #jobs = new Map<number, Job>();
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;

  constructor({
    git,
    concurrency = availableParallelism(),
    deflate = 'reused-stream',
    answerSockets,
  }: CompressionPoolOptions) {
    const count = Math.max(1, concurrency);
    // Eight slots a worker: enough for the workers to go on while the writer waits for the large
    // files before their batches (a few MiB of them), at a fixed 2 MiB a slot.
    const shared = Array.from({ length: 8 * count + 1 }, () => ({
      input: new SharedArrayBuffer(SLOT_BYTES),
      output: new SharedArrayBuffer(SLOT_BYTES),
      meta: new SharedArrayBuffer(40 * SLOT_FILES),
    }));
    this.#slots = shared.map((s, index) => ({
      index,
      input: Buffer.from(s.input),
      output: Buffer.from(s.output),
      results: resultViews(s.meta),
    }));
    this.#free = [...this.#slots];
    this.#workers = Array.from({ length: count }, (_, index) => {
      const socketPrefix = answerSockets === undefined ? undefined : `${answerSockets}-${index}-`;
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          options: DEFLATE_OPTIONS,
          slots: shared,
          slotFiles: SLOT_FILES,
          git,
          catFile: [...CAT_FILE_BATCH],
          mode: deflate,
          answerSocket: canMakeSocket(socketPrefix) ? socketPrefix : undefined,
        },
        // A small young generation: the per-file garbage of zlib is collected early and often.
        resourceLimits: { maxYoungGenerationSizeMb: 2 },
      });
      const entry = { worker, busy: 0, exited: false };
      worker.on('message', (reply: Reply) => {
        if (reply.gitFailure !== undefined) {
          this.fail(
            new PhpublishError('ARCHIVE_GIT_FAILED', { command: 'cat-file --batch', problem: reply.gitFailure }),
          );
          return;
        }
        entry.busy -= 1;
        this.#settle(reply);
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        entry.exited = true;
        if (code !== 0) this.fail(new Error(`a compression worker stopped (exit code ${code})`));
      });
      return entry;
    });
  }

  /** How many workers compress. */
  get size(): number {
    return this.#workers.length;
  }

  /** A free slot to fill; waits while all are in use. */
  acquire(): Promise<Slot> {
    if (this.#failure) return Promise.reject(this.#failure);
    const slot = this.#free.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  release(slot: Slot): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter.resolve(slot);
    else this.#free.push(slot);
  }

  /**
   * Reads and compresses the files laid out one after the other at the start of `slot.input`:
   * `sizes[i]` bytes each; the worker reads file i from git when `oids[i]` is an object id, and
   * finds it in the slot already when it is ''.
   */
  compress(slot: Slot, sizes: ArrayLike<number>, oids: readonly string[]): Promise<CompressedBatch> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (sizes.length > SLOT_FILES) throw new Error(`a batch holds at most ${SLOT_FILES} files`);
    const target = this.#workers.reduce((least, w) => (w.busy < least.busy ? w : least));
    target.busy += 1;
    return new Promise<CompressedBatch>((resolve, reject) => {
      this.#jobs.set(slot.index, { resolve, reject });
      target.worker.postMessage({ slot: slot.index, sizes, oids });
    });
  }

  /** Stops the workers and their git processes (nothing is left running or unreaped); once. */
  close(): Promise<void> {
    this.#closing ??= this.#stop();
    return this.#closing;
  }

  async #stop(): Promise<void> {
    await Promise.all(
      this.#workers
        .filter((w) => !w.exited)
        .map(
          ({ worker }) =>
            new Promise<void>((resolve) => {
              // A worker that does not stop on its own within the grace period is terminated.
              const timer = setTimeout(() => void worker.terminate(), 2000);
              worker.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              worker.postMessage({ close: true });
            }),
        ),
    );
  }

  #settle(reply: Reply): void {
    const job = this.#jobs.get(reply.slot!);
    this.#jobs.delete(reply.slot!);
    if (!job) return;
    if (reply.error !== undefined) {
      job.reject(new Error(`compression failed: ${reply.error}`));
      return;
    }
    job.resolve(this.#slots[reply.slot!]!.results);
  }

  /** Stops the pool after a failure anywhere: pending jobs and whoever waits for a slot get the error. */
  fail(error: unknown): void {
    this.#failure ??= error instanceof Error ? error : new Error(String(error));
    for (const job of this.#jobs.values()) job.reject(this.#failure);
    this.#jobs.clear();
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
  }
}
