import { constants, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { parseStrictJson, StrictJsonProblem } from './strict-json.js';

const MiB = 1024 * 1024;

/**
 * The most phpublish reads of each kind of local input: generous for real files, small enough
 * that a wrong path (a device, a huge log) fails at once instead of filling the memory.
 */
export const INPUT_LIMITS = {
  /** A policy, its key files and trusted roots, an options file, composer.json. */
  small: 8 * MiB,
  /** composer.lock: a few hundred KB for most projects, a few MB for the largest. */
  lock: 64 * MiB,
} as const;

/**
 * Why a local input file cannot be used, as the end of a sentence whose subject is the file
 * ("… does not exist (ENOENT)", "… is a character device, not a regular file"). Callers put it
 * into their own coded error. `errno` is set when the system refused.
 */
export class InputFileProblem extends Error {
  override name = 'InputFileProblem';
  readonly errno: string | undefined;

  constructor(problem: string, errno?: string) {
    super(problem);
    this.errno = errno;
  }
}

/**
 * Reads a local input file whole: only a regular file (through symbolic links), at most
 * `maxBytes`. Devices (`/dev/zero`), named pipes, sockets and directories are refused before a
 * byte is read; a pipe is opened without waiting for a writer. Throws InputFileProblem.
 */
export async function readInputFile(path: string, options: { maxBytes: number }): Promise<Buffer> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a named pipe would otherwise wait for a writer forever.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (error) {
    throw systemProblem(error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new InputFileProblem(`is ${kindOf(stats)}, not a regular file`);
    if (stats.size > options.maxBytes) throw tooLarge(options.maxBytes);
    return await readAtMost(handle, options.maxBytes, stats.size);
  } catch (error) {
    throw error instanceof InputFileProblem ? error : systemProblem(error);
  } finally {
    await handle.close().catch(() => {});
  }
}

/** A text input: UTF-8 (a byte order mark at the start is allowed and dropped). */
export async function readInputText(path: string, options: { maxBytes: number }): Promise<string> {
  return decodeUtf8(await readInputFile(path, options));
}

/** A JSON input, read strictly (see strict-json.ts): duplicate and `__proto__` keys are refused. */
export async function readInputJson(path: string, options: { maxBytes: number }): Promise<unknown> {
  const text = await readInputText(path, options);
  try {
    return parseStrictJson(text);
  } catch (error) {
    if (error instanceof StrictJsonProblem) throw new InputFileProblem(`is not valid JSON: ${error.message}`);
    throw error;
  }
}

/** UTF-8 text without its byte order mark; refuses bytes that are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new InputFileProblem('is not UTF-8 text');
  }
}

/** Reads to the end, refusing more than `maxBytes` even when the file grows or reports no size (/proc). */
async function readAtMost(handle: FileHandle, maxBytes: number, sizeHint: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(Math.max(sizeHint - total, 64 * 1024), maxBytes - total + 1));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) return Buffer.concat(chunks, total);
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > maxBytes) throw tooLarge(maxBytes);
  }
}

function tooLarge(maxBytes: number): InputFileProblem {
  const size = maxBytes % MiB === 0 ? `${maxBytes / MiB} MiB` : `${maxBytes} bytes`;
  return new InputFileProblem(`is larger than ${size}, the most phpublish reads for this kind of file`);
}

/**
 * What an opened path that is not a regular file is. open() itself refuses sockets (ENXIO on Linux,
 * EOPNOTSUPP on macOS) and follows symbolic links, so only these four kinds get this far.
 */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device (like /dev/zero or a terminal)';
  if (stats.isBlockDevice()) return 'a block device (a disk)';
  return 'a named pipe (FIFO)';
}

/** What the system said, in words, with its code for searching. */
const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'cannot be read: permission denied',
  EPERM: 'cannot be read: operation not permitted',
  EISDIR: 'is a directory, not a regular file',
  ENOTDIR: 'cannot be reached: a part of its path is not a directory',
  ELOOP: 'cannot be reached: too many levels of symbolic links',
  ENAMETOOLONG: 'cannot be reached: its name is too long',
  ENXIO: 'is a socket or a device without a reader, not a regular file',
  EIO: 'cannot be read: input/output error',
  EMFILE: 'cannot be opened: too many open files',
  ENFILE: 'cannot be opened: too many open files in the system',
};

function systemProblem(error: unknown): InputFileProblem {
  const errno = (error as NodeJS.ErrnoException)?.code;
  if (errno === undefined)
    return new InputFileProblem(`cannot be read (${String((error as Error)?.message ?? error)})`);
  return new InputFileProblem(`${ERRNO_WORDS[errno] ?? 'cannot be read'} (${errno})`, errno);
}
