import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandboxPackagist } from '@phpublish/sandbox';
import { createPhpPackageRepo } from '@phpublish/testing/php-package-repo';
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

describe('when the server trickles a dist a byte at a time (the sandbox’s drip fault)', () => {
  it('gives each attempt the whole-answer deadline, though no gap reaches the request timeout', async () => {
    const packagist = await startSandboxPackagist();
    const repo = await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] });
    try {
      packagist.addRemote('https://github.com/acme/hello', repo.dir);
      packagist.addPackage({ name: 'acme/hello', repositoryUrl: 'https://github.com/acme/hello', maintainers: [] });
      const url = `${packagist.url}/dists/acme/hello/${repo.head}.zip`;
      const whole = await download({ url, http: http() });
      // A byte every 20 ms: each gap far below the 500 ms timeout, the whole zip many seconds.
      expect(whole.bytes * 20).toBeGreaterThan(10_000);
      const drip = { path: /^\/dists\//, fault: { drip: { chunkBytes: 1, intervalMs: 20 } } };
      const deps = { ...http(), timeoutMs: 500, retry: { ...DEFAULT_RETRY, attempts: 2 } };

      packagist.injectFault({ ...drip, times: 2 });
      const started = Date.now();
      const error = await download({ url, http: deps }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DownloadProblem);
      expect((error as DownloadProblem).reason).toBe('the answer did not arrive whole within 2 s');
      expect(Date.now() - started).toBeLessThan(6000);

      // One slow attempt is retried, and the next whole answer is the same zip.
      packagist.injectFault({ ...drip, times: 1 });
      expect(await download({ url, http: deps })).toMatchObject({ sha256: whole.sha256, bytes: whole.bytes });
    } finally {
      await packagist.close();
      await repo.cleanup();
    }
  }, 20_000);
});
