import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SandboxRequest, SandboxResponse } from './exchange.js';
import type { FaultInjector } from './faults.js';
import { type RecordedRequest, recordInto, redactUrl } from './request-log.js';

export interface HttpServerOptions {
  /** Only loopback addresses make sense for a sandbox; 127.0.0.1 by default. */
  readonly host?: string;
  /** 0 (a free port) by default. */
  readonly port?: number;
  readonly handle: (request: SandboxRequest) => Promise<SandboxResponse>;
  /** Sees every request before it is handled (or faulted). */
  readonly onRequest: (request: SandboxRequest) => void;
  /** Sees every request with the status it got ('reset' when the connection was reset). */
  readonly onResponse: (request: SandboxRequest, outcome: number | 'reset') => void;
  readonly onError: (error: unknown) => void;
  readonly faults: FaultInjector;
  /** Serve HTTPS with this certificate and key (PEM) instead of plain HTTP. */
  readonly tls?: ServerTls | undefined;
}

export interface ServerTls {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface RunningHttpServer {
  /** `http://127.0.0.1:<port>` (`https://` with `tls`), no trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

function readBody(message: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    message.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    message.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined));
    message.on('error', reject);
  });
}

function toSandboxRequest(message: IncomingMessage, body: Buffer): SandboxRequest {
  const url = message.url ?? '/';
  const withoutFragment = url.split('#')[0]!;
  const queryStart = withoutFragment.indexOf('?');
  return {
    method: (message.method ?? 'GET').toUpperCase(),
    url,
    path: queryStart === -1 ? withoutFragment : withoutFragment.slice(0, queryStart),
    query: new URLSearchParams(queryStart === -1 ? '' : withoutFragment.slice(queryStart + 1)),
    headers: message.headers,
    body,
  };
}

function write(response: ServerResponse, method: string, answer: SandboxResponse): void {
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : answer.body;
  response.writeHead(answer.status, { ...answer.headers, 'content-length': String(body.length) });
  // 304 and HEAD answers carry no body.
  response.end(method === 'HEAD' || answer.status === 304 ? undefined : body);
}

/** A plain node:http server on loopback that reads each request whole, applies armed faults, and answers. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const hangs = new Set<NodeJS.Timeout>();
  const hang = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        hangs.delete(timer);
        resolve();
      }, ms);
      hangs.add(timer);
    });

  const listener: RequestListener = async (message, response) => {
    let request: SandboxRequest | undefined;
    try {
      const body = await readBody(message);
      request = toSandboxRequest(message, body ?? Buffer.alloc(0));
      options.onRequest(request);
      if (body === undefined) {
        write(response, request.method, { status: 413, headers: {}, body: '' });
        return options.onResponse(request, 413);
      }

      const rule = options.faults.take(request);
      const fault = rule?.fault;
      if (fault && 'hangMs' in fault) await hang(fault.hangMs);
      if (fault && rule.when !== 'after' && 'reset' in fault) {
        message.socket.resetAndDestroy();
        return options.onResponse(request, 'reset');
      }
      if (fault && rule.when !== 'after' && 'status' in fault) {
        write(response, request.method, {
          status: fault.status,
          headers: { ...fault.headers },
          body: fault.body ?? '',
        });
        return options.onResponse(request, fault.status);
      }

      const answer = await options.handle(request);
      if (fault && rule.when === 'after' && 'reset' in fault) {
        message.socket.resetAndDestroy();
        return options.onResponse(request, 'reset');
      }
      if (fault && rule.when === 'after' && 'status' in fault) {
        write(response, request.method, {
          status: fault.status,
          headers: { ...fault.headers },
          body: fault.body ?? '',
        });
        return options.onResponse(request, fault.status);
      }
      write(response, request.method, answer);
      options.onResponse(request, answer.status);
    } catch (error) {
      options.onError(error);
      if (!response.headersSent && !response.destroyed) {
        write(response, request?.method ?? 'GET', { status: 500, headers: {}, body: 'sandbox error\n' });
      }
      if (request) options.onResponse(request, 500);
    }
  };
  const server = options.tls
    ? createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, listener)
    : createServer(listener);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`,
    close: async () => {
      for (const timer of hangs) clearTimeout(timer);
      hangs.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

export interface StandInServerOptions {
  /** Names the stand-in in its error lines (`sandbox <name>: …`). */
  readonly name: string;
  /** Starts each request's log line (`github: ` …; '' for none). */
  readonly linePrefix: string;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly tls?: ServerTls | undefined;
  readonly faults: FaultInjector;
  readonly handle: (request: SandboxRequest) => Promise<SandboxResponse>;
  /** Where the requests are kept, secrets scrubbed. */
  readonly requests: RecordedRequest[];
  /** The secrets this stand-in issued, kept out of the request log and the log lines. */
  readonly secrets: () => readonly string[];
  readonly log: (line: string) => void;
}

/**
 * A sandbox stand-in's server: every request recorded (and audited for secrets in URLs), one log
 * line per answer with its URL redacted, internal errors logged.
 */
export function startStandInServer(options: StandInServerOptions): Promise<RunningHttpServer> {
  const { log, secrets } = options;
  return startHttpServer({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    tls: options.tls,
    faults: options.faults,
    handle: options.handle,
    onRequest: recordInto(options.requests, secrets),
    onResponse: (request, outcome) =>
      log(`${options.linePrefix}${request.method} ${redactUrl(request.url, secrets())} ${outcome}`),
    onError: (error) => log(`sandbox ${options.name}: ${(error as Error).stack ?? String(error)}`),
  });
}
