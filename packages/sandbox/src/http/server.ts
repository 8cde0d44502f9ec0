import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SandboxRequest, SandboxResponse } from './exchange.js';
import type { Fault, FaultInjector } from './faults.js';
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

/** How an answer reaches the client: whole, or as `fault` says. Returns what the log shows. */
async function deliver(
  message: IncomingMessage,
  response: ServerResponse,
  method: string,
  fault: Fault | undefined,
  answer: SandboxResponse | undefined,
  wait: (ms: number) => Promise<void>,
): Promise<number | 'reset'> {
  if (fault && 'reset' in fault) {
    message.socket.resetAndDestroy();
    return 'reset';
  }
  if (fault && 'status' in fault) {
    write(response, method, { status: fault.status, headers: { ...fault.headers }, body: fault.body ?? '' });
    return fault.status;
  }
  if (fault && 'oversize' in fault) {
    await writeOversized(response, fault.oversize);
    return 200;
  }
  const whole = answer as SandboxResponse;
  const body = typeof whole.body === 'string' ? Buffer.from(whole.body, 'utf8') : whole.body;
  const bodiless = method === 'HEAD' || whole.status === 304 || body.length === 0;
  if (fault && 'truncate' in fault && !bodiless) {
    response.writeHead(whole.status, { ...whole.headers, 'content-length': String(body.length) });
    response.write(body.subarray(0, Math.floor(body.length / 2)));
    // Closed without a reset, as a proxy that dies mid-answer does: the client sees a short body.
    await new Promise<void>((resolve) => response.socket?.end(resolve) ?? resolve());
    message.socket.destroy();
    return whole.status;
  }
  if (fault && 'drip' in fault && !bodiless) {
    response.writeHead(whole.status, { ...whole.headers, 'content-length': String(body.length) });
    const { chunkBytes, intervalMs } = fault.drip;
    for (let offset = 0; offset < body.length && !response.destroyed; offset += chunkBytes) {
      response.write(body.subarray(offset, offset + chunkBytes));
      await wait(intervalMs);
    }
    if (!response.destroyed) response.end();
    return whole.status;
  }
  write(response, method, whole);
  return whole.status;
}

/** A 200 "JSON" answer of `bytes` spaces inside an array, streamed in 1 MiB chunks (chunked when not declared). */
async function writeOversized(response: ServerResponse, { bytes, declared }: { bytes: number; declared: boolean }) {
  response.writeHead(200, {
    'content-type': 'application/json',
    ...(declared ? { 'content-length': String(bytes) } : {}),
  });
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  for (let sent = 0; sent < bytes && !response.destroyed; sent += chunk.length) {
    const part = sent === 0 ? Buffer.concat([Buffer.from('['), chunk.subarray(1)]) : chunk;
    const ok = response.write(part.subarray(0, Math.min(part.length, bytes - sent)));
    // Waits for the client to read (or to give up: then the response is destroyed and the loop ends).
    if (!ok)
      await new Promise<void>((resolve) => {
        // Whichever comes first; the other listener goes, so that they do not pile up chunk by chunk.
        const done = () => {
          response.off('drain', done);
          response.off('close', done);
          resolve();
        };
        response.once('drain', done);
        response.once('close', done);
      });
  }
  if (!response.destroyed) response.end();
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
      // Faults that replace the answer, armed `before`, spare the handler: the request is never acted on.
      const replacesAnswer = fault && ('reset' in fault || 'status' in fault || 'oversize' in fault);
      const answer = replacesAnswer && rule.when !== 'after' ? undefined : await options.handle(request);
      options.onResponse(request, await deliver(message, response, request.method, fault, answer, hang));
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
