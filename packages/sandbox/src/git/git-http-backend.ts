import { spawn } from 'node:child_process';
import { headerValue, type SandboxRequest, type SandboxResponse } from '../http/exchange.js';
import { FaultInjector, type FaultRule } from '../http/faults.js';
import { type RecordedRequest, recordInto } from '../http/request-log.js';
import { startHttpServer } from '../http/server.js';

/**
 * A git smart-HTTP server that is git's own: each request runs the real `git http-backend` CGI
 * (which runs `git upload-pack`) on a local repository. What a hosted git server does, with git's
 * own server code, for checking a client against it. Read-only: pushes are refused. Its answers are
 * read whole and then sent, so that the sandbox's faults apply to them as to every other stand-in's.
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
  /** Arms a fault at matching requests, as every stand-in does (see FaultRule). */
  injectFault(rule: FaultRule): void;
  /** Disarms every fault not used yet. */
  clearFaults(): void;
  close(): Promise<void>;
}

const SERVICE_PATH = /^(.*?)(\/info\/refs|\/git-upload-pack|\/git-receive-pack|\/HEAD|\/objects\/.*)$/;

export async function startSandboxGitHttpBackend(
  options: SandboxGitHttpBackendOptions = {},
): Promise<SandboxGitHttpBackend> {
  const repositories = new Map<string, string>();
  const requests: string[] = [];
  const recorded: RecordedRequest[] = [];
  const faults = new FaultInjector();
  const authorization = options.basicAuth
    ? `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`
    : undefined;
  const text = (status: number, body: string, headers: Record<string, string> = {}): SandboxResponse => ({
    status,
    headers: { 'content-type': 'text/plain', ...headers },
    body,
  });

  const handle = async (request: SandboxRequest): Promise<SandboxResponse> => {
    if (authorization && headerValue(request, 'authorization') !== authorization) {
      return text(401, 'Authentication required\n', { 'www-authenticate': 'Basic realm="sandbox"' });
    }
    const match = SERVICE_PATH.exec(request.path);
    const dir = match ? repositories.get(match[1]!) : undefined;
    if (!match || !dir || match[2] === '/git-receive-pack') return text(404, 'Not Found\n');
    const encoding = headerValue(request, 'content-encoding');
    const protocol = headerValue(request, 'git-protocol');
    return runBackend(request.body, {
      GIT_PROJECT_ROOT: dir,
      PATH_INFO: match[2]!,
      QUERY_STRING: request.url.split('#')[0]!.split('?')[1] ?? '',
      REQUEST_METHOD: request.method,
      CONTENT_TYPE: headerValue(request, 'content-type') ?? '',
      ...(encoding ? { HTTP_CONTENT_ENCODING: encoding } : {}),
      ...(!options.protocolV0Only && protocol ? { GIT_PROTOCOL: protocol } : {}),
      GIT_HTTP_EXPORT_ALL: '1',
      PATH: options.env?.['PATH'] ?? process.env['PATH'] ?? '/usr/bin:/bin',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      // What hosted servers allow: partial fetches (`--filter`).
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'uploadpack.allowFilter',
      GIT_CONFIG_VALUE_0: 'true',
    });
  };

  // The sandbox's one server: faults and the request recorder (and URL audit) as every other stand-in.
  const record = recordInto(recorded, () => []);
  const server = await startHttpServer({
    faults,
    handle,
    onRequest: (request) => {
      record(request);
      requests.push(`${request.method} ${request.path}`);
    },
    onResponse: () => {},
    onError: (error) => process.stderr.write(`sandbox git http-backend: ${(error as Error).stack ?? String(error)}\n`),
  });
  return {
    url: server.url,
    addRepository: (path, dir) => {
      repositories.set(path.replace(/\/+$/, ''), dir);
    },
    requests,
    injectFault: (rule) => faults.arm(rule),
    clearFaults: () => faults.clear(),
    close: () => server.close(),
  };
}

/** Runs the CGI with the request body on its input, and turns its `Status:`/header lines and output into the answer. */
function runBackend(body: Buffer, env: Record<string, string>): Promise<SandboxResponse> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', () => {
      const all = Buffer.concat(output);
      const end = all.indexOf('\r\n\r\n');
      if (end === -1) {
        resolve({ status: 500, headers: {}, body: '' });
        return;
      }
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of all.toString('latin1', 0, end).split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'status') status = Number.parseInt(value, 10);
        else if (name !== 'content-length') headers[name] = value;
      }
      resolve({ status, headers, body: all.subarray(end + 4) });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(body);
  });
}
