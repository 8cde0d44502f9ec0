import { writeSync } from 'node:fs';

/**
 * Writes GnuPG status lines to a descriptor other than stdout and stderr (`--status-fd=3`), which
 * the calling process opened for us. When it is not open, the lines go to `fallback` with a note,
 * rather than being lost silently.
 */
export function writeStatusToFd(fd: number, text: string, fallback: { write(text: string): unknown }): void {
  try {
    writeSync(fd, text);
  } catch {
    fallback.write(`phpublish-gpg: file descriptor ${fd} is not open; status lines follow here\n${text}`);
  }
}
