import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { PhpublishError } from '../errors/index.js';

/** What a file system node is, for the message that refuses to replace it. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSymbolicLink()) return 'a symbolic link (pass the path it points to)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Refuses an output path that is neither new nor a regular file. Output is written to a temporary
 * file beside it and renamed onto it once complete; renaming onto a device (`/dev/full`,
 * `/dev/null`), a pipe or a symbolic link would replace the node itself, not write into it.
 * Checked before the work starts and again just before the rename. Throws ARCHIVE_OUTPUT_FAILED.
 */
export async function checkOutputTarget(file: string): Promise<void> {
  let stats: Stats;
  try {
    stats = await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new PhpublishError('ARCHIVE_OUTPUT_FAILED', { file, problem: describeError(error) }, { cause: error });
  }
  if (stats.isFile()) return;
  throw new PhpublishError('ARCHIVE_OUTPUT_FAILED', {
    file,
    problem: `it is ${kindOf(stats)}, and only a regular file or a new path is replaced`,
  });
}

/** An error of the file system as a short line: its code and its message. */
export function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
