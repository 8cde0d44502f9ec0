import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';

/** The longest path a local socket may have everywhere (macOS allows 104 bytes, Linux 108). */
export const MAX_SOCKET_PATH = 100;

/** The socket's path in the private directory `mkdtemp(prefix)` makes (six characters, a slash and "s"). */
export const socketPathLength = (prefix: string) => Buffer.byteLength(prefix) + 8;

/** Whether a local socket can be made from `prefix` here. */
export const canMakeSocket = (prefix: string | undefined): prefix is string =>
  prefix !== undefined && process.platform !== 'win32' && socketPathLength(prefix) <= MAX_SOCKET_PATH;

/** A connected pair: `reader` is read through `onRead`; `peer` is to become a child's standard output. */
export interface AnswerSocket {
  reader: Socket;
  peer: Socket;
}

/** Bytes of the one buffer a reader reads into, reused from read to read. */
const READ_BUFFER_BYTES = 256 * 1024;

/**
 * A connected pair of local sockets, for a child's standard output that is read into one buffer
 * reused from read to read (net's `onread`): a pipe from child_process gives a new buffer for every
 * read, left to the garbage collector, which costs time and lets many megabytes pile up between
 * collections. The pair meets through a socket in a private directory (`mkdtemp(prefix)`, mode
 * 0700: no other user can connect), removed with the directory as soon as the pair is connected.
 * `onRead` is given each read's bytes, valid only until it returns. Rejects when the pair cannot
 * be made (the caller then uses a pipe).
 */
export function connectAnswerSocket(prefix: string, onRead: (bytes: Buffer) => void): Promise<AnswerSocket> {
  return new Promise((resolve, reject) => {
    let directory: string;
    try {
      directory = mkdtempSync(prefix);
    } catch (error) {
      reject(error);
      return;
    }
    const path = join(directory, 's');
    const server = createServer();
    let reader: Socket | undefined;
    const removeMeetingPoint = () => {
      server.close();
      rmSync(directory, { recursive: true, force: true });
    };
    const refuse = (error: unknown) => {
      removeMeetingPoint();
      reader?.destroy();
      reject(error);
    };
    server.once('error', refuse);
    server.once('connection', (peer: Socket) => {
      removeMeetingPoint();
      reader!.removeListener('error', refuse);
      resolve({ reader: reader!, peer });
    });
    server.listen(path, () => {
      const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
      reader = connect({
        path,
        onread: {
          buffer,
          callback: (length: number, bytes: Uint8Array) => {
            onRead((bytes as Buffer).subarray(0, length));
            return true;
          },
        },
      });
      reader.once('error', refuse);
    });
  });
}
