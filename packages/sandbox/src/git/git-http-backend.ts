import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A git smart-HTTP server that is git's own: each request runs the real `git http-backend` CGI
 * (which runs `git upload-pack`) on a local repository. What a hosted git server does, with git's
 * own server code, for checking a client against it. Read-only: pushes are refused.
 */
export interface SandboxGitHttpBackendOptions {
  /** Answer as a server without protocol v2 would (the Git-Protocol header is not passed on). */
  readonly protocolV0Only?: boolean;
  /** Every request needs these Basic credentials, else 401 (a private repository). */
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** PATH and the like for git; no user or system configuration is read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface SandboxGitHttpBackend {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Serves the repository in `dir` (bare or not) at `<url><path>`, e.g. `/acme/hello.git`. */
  addRepository(path: string, dir: string): void;
  /** Requests answered so far, by method and path (no query, no headers). */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

const SERVICE_PATH = /^(.*?)(\/info\/refs|\/git-upload-pack|\/git-receive-pack|\/HEAD|\/objects\/.*)$/;

export async function startSandboxGitHttpBackend(
  options: SandboxGitHttpBackendOptions = {},
): Promise<SandboxGitHttpBackend> {
  const repositories = new Map<string, string>();
  const requests: string[] = [];
  const authorization = options.basicAuth
    ? `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`
    : undefined;

  const server = createServer((message, response) => {
    const url = new URL(message.url ?? '/', 'http://sandbox');
    requests.push(`${message.method} ${url.pathname}`);
    if (authorization && message.headers.authorization !== authorization) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="sandbox"', 'content-type': 'text/plain' });
      response.end('Authentication required\n');
      return;
    }
    const match = SERVICE_PATH.exec(url.pathname);
    const dir = match ? repositories.get(match[1]!) : undefined;
    if (!match || !dir || match[2] === '/git-receive-pack') {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('Not Found\n');
      return;
    }
    runBackend(message, response, {
      GIT_PROJECT_ROOT: dir,
      PATH_INFO: match[2]!,
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: message.method ?? 'GET',
      CONTENT_TYPE: message.headers['content-type'] ?? '',
      ...(message.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: message.headers['content-encoding'] } : {}),
      ...(!options.protocolV0Only && typeof message.headers['git-protocol'] === 'string'
        ? { GIT_PROTOCOL: message.headers['git-protocol'] }
        : {}),
      GIT_HTTP_EXPORT_ALL: '1',
      PATH: options.env?.['PATH'] ?? process.env['PATH'] ?? '/usr/bin:/bin',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      // What hosted servers allow: partial fetches (`--filter`).
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'uploadpack.allowFilter',
      GIT_CONFIG_VALUE_0: 'true',
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    addRepository: (path, dir) => {
      repositories.set(path.replace(/\/+$/, ''), dir);
    },
    requests,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Runs the CGI with the request body on its input and turns its `Status:`/header lines into the response. */
function runBackend(message: IncomingMessage, response: ServerResponse, env: Record<string, string>): void {
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      response.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end === -1) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.toString('latin1', 0, end).split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    response.writeHead(status, headers);
    response.write(head.subarray(end + 4));
  });
  child.stderr.resume();
  child.on('error', () => {
    if (!response.headersSent) response.writeHead(500);
    response.end();
  });
  child.on('close', () => {
    if (!response.headersSent) response.writeHead(500);
    response.end();
  });
  child.stdin.on('error', () => {});
  message.pipe(child.stdin);
}
