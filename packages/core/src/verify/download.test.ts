import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY } from '../http/index.js';
import { testHttpDeps } from '../http/testing/deps.js';
import { DownloadProblem, download } from './download.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const ZIP = Buffer.from('PK\u0003\u0004 not really a zip, but bytes all the same '.repeat(2000));
const ZIP_SHA256 = createHash('sha256').update(ZIP).digest('hex');

let server: Server;
let baseUrl: string;
let handlers: Handler[];
let requests: number;
let agent: Agent;
let dir: string;

beforeEach(async () => {
  handlers = [];
  requests = 0;
  server = createServer((req, res) => {
    requests += 1;
    (handlers.shift() ?? serveZip)(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  agent = new Agent();
  dir = await mkdtemp(join(tmpdir(), 'phpublish-download-'));
});

afterEach(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const serveZip: Handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/zip' }).end(ZIP);
const status =
  (code: number, headers: Record<string, string> = {}): Handler =>
  (_req, res) =>
    res.writeHead(code, headers).end('try later');
/** Sends the headers and half the body, then drops the connection. */
const cutMidBody: Handler = (_req, res) => {
  res.writeHead(200, { 'content-length': String(ZIP.length) });
  res.write(ZIP.subarray(0, ZIP.length / 2), () => res.socket?.destroy());
};

const http = () => testHttpDeps(agent);

describe('download', () => {
  it('retries a 503 and a connection cut mid-body, and returns the whole body', async () => {
    handlers = [status(503), cutMidBody];
    const deps = http();
    const file = join(dir, 'dist.zip');
    const result = await download({ url: `${baseUrl}/zipball`, file, http: deps });
    expect(result).toEqual({ sha256: ZIP_SHA256, bytes: ZIP.length });
    expect(await readFile(file)).toEqual(ZIP);
    expect(requests).toBe(3);
    expect(deps.clock.sleeps).toEqual([1000, 2000]);
  });

  it('gives up after the policy’s attempts with the last status', async () => {
    handlers = [status(502), status(502), status(502), status(502)];
    const error = await download({ url: `${baseUrl}/zipball`, http: http() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadProblem);
    expect(error).toMatchObject({ reason: 'HTTP 502', status: 502 });
    expect(requests).toBe(DEFAULT_RETRY.attempts);
  });

  it('does not retry a 404 or a body over the size limit', async () => {
    handlers = [status(404)];
    await expect(download({ url: `${baseUrl}/gone`, http: http() })).rejects.toMatchObject({ status: 404 });
    expect(requests).toBe(1);
    const tooBig = await download({
      url: `${baseUrl}/zipball`,
      http: { ...http(), limits: { dist: 1000 } },
    }).catch((e: unknown) => e);
    expect(tooBig).toMatchObject({ code: 'REMOTE_ANSWER_TOO_LARGE' });
    expect((tooBig as Error).message).toMatch(/larger than the 1000 bytes allowed for dist archives/);
    expect(requests).toBe(2);
  });

  it('follows a redirect without sending the first request’s headers on', async () => {
    let redirected: IncomingMessage | undefined;
    handlers = [
      status(302, { location: `${baseUrl}/storage/zip` }),
      (req, res) => {
        redirected = req;
        serveZip(req, res);
      },
    ];
    const result = await download({
      url: `${baseUrl}/zipball`,
      http: http(),
      headers: { authorization: 'Bearer secret-token' },
    });
    expect(result.body).toEqual(ZIP);
    expect(redirected?.headers['authorization']).toBeUndefined();
  });

  it('keeps a body up to memoryUpTo in memory without writing the file, and a larger one only in the file', async () => {
    const file = join(dir, 'dist.zip');
    const small = await download({ url: `${baseUrl}/zipball`, file, memoryUpTo: ZIP.length, http: http() });
    expect(small).toEqual({ sha256: ZIP_SHA256, bytes: ZIP.length, body: ZIP });
    await expect(access(file)).rejects.toMatchObject({ code: 'ENOENT' });
    const large = await download({ url: `${baseUrl}/zipball`, file, memoryUpTo: ZIP.length - 1, http: http() });
    expect(large).toEqual({ sha256: ZIP_SHA256, bytes: ZIP.length });
    expect(await readFile(file)).toEqual(ZIP);
  });
});
