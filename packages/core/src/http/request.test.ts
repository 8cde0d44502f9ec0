import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { DEFAULT_ANSWER_LIMITS } from './limits.js';
import {
  ANSWER_DEADLINE_TIMEOUTS,
  DEFAULT_RETRY,
  HttpNetworkError,
  parseRetryAfter,
  requestWithRetry,
} from './request.js';
import { testHttpDeps } from './testing/deps.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handlers: Handler[];
let seen: IncomingMessage[];
let agent: Agent;

beforeEach(async () => {
  handlers = [];
  seen = [];
  server = createServer((req, res) => {
    seen.push(req);
    const handler = handlers.shift() ?? ((_q, r) => r.writeHead(200).end('{"ok":true}'));
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  agent = new Agent();
});

afterEach(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const deps = (overrides: Parameters<typeof testHttpDeps>[1] = {}) => testHttpDeps(agent, overrides);

const status =
  (code: number, headers: Record<string, string> = {}, body = ''): Handler =>
  (_req, res) =>
    res.writeHead(code, headers).end(body);
const reset: Handler = (req) => req.socket.destroy();

describe('requestWithRetry', () => {
  describe('when the server trickles its answer a byte at a time', () => {
    const drip: Handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '200' });
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('x')), 20);
      res.on('close', () => clearInterval(timer));
    };

    it('gives up on an attempt whose answer is not whole by its deadline, though no gap reached the timeout', async () => {
      handlers.push(drip, drip);
      const started = Date.now();
      const error = await requestWithRetry(
        { method: 'GET', url: `${baseUrl}/x`, idempotent: true },
        deps({ timeoutMs: 500, answerDeadlineMs: 300, retry: { ...DEFAULT_RETRY, attempts: 2 } }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpNetworkError);
      expect((error as HttpNetworkError).reason).toBe('the answer did not arrive whole within 300 ms');
      expect((error as HttpNetworkError).attempts).toBe(2);
      // 200 bytes 20 ms apart would take 4 s: each attempt stopped at its 300 ms deadline.
      expect(Date.now() - started).toBeLessThan(2500);
    });

    it('allows a whole answer ANSWER_DEADLINE_TIMEOUTS timeouts by default, longer than one timeout', async () => {
      handlers.push((_req, res) => {
        res.writeHead(200, { 'content-length': '5' });
        let sent = 0;
        const timer = setInterval(() => {
          res.write('x');
          sent += 1;
          if (sent === 5) {
            clearInterval(timer);
            res.end();
          }
        }, 60);
      });
      const res = await requestWithRetry(
        { method: 'GET', url: `${baseUrl}/x`, idempotent: true },
        deps({ timeoutMs: 200 }),
      );
      // 300 ms in all: more than the 200 ms timeout, within the 800 ms deadline.
      expect(res).toMatchObject({ status: 200, body: 'xxxxx', attempts: 1 });
      expect(ANSWER_DEADLINE_TIMEOUTS).toBe(4);
    });
  });

  describe('when GitHub answers 403 for a rate limit', () => {
    it('retries a secondary rate limit (403 with Retry-After) after the wait, even for a POST', async () => {
      handlers.push(status(403, { 'retry-after': '7' }, '{"message":"You have exceeded a secondary rate limit"}'));
      const d = deps();
      const res = await requestWithRetry({ method: 'POST', url: `${baseUrl}/x`, body: '{}', idempotent: false }, d);
      expect(res).toMatchObject({ status: 200, attempts: 2 });
      expect(d.clock.sleeps).toEqual([7000]);
    });

    it('waits for x-ratelimit-reset when the primary limit is exhausted, if that is soon enough', async () => {
      const d = deps();
      const reset = Math.floor(d.clock.now() / 1000) + 20;
      handlers.push(status(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }));
      const res = await requestWithRetry({ method: 'GET', url: `${baseUrl}/x`, idempotent: true }, d);
      expect(res).toMatchObject({ status: 200, attempts: 2 });
      expect(d.clock.sleeps).toEqual([20_000]);
    });

    it('returns a plain 403 (a refusal) at once', async () => {
      handlers.push(status(403, {}, '{"message":"Resource not accessible by integration"}'));
      const res = await requestWithRetry({ method: 'GET', url: `${baseUrl}/x`, idempotent: true }, deps());
      expect(res).toMatchObject({ status: 403, attempts: 1 });
    });
  });

  describe('when the server answers 5xx and then recovers', () => {
    it('retries with exponential backoff and returns the good answer', async () => {
      handlers.push(status(503), status(502));
      const d = deps();
      const res = await requestWithRetry({ method: 'GET', url: `${baseUrl}/x`, idempotent: true }, d);
      expect(res).toMatchObject({ status: 200, body: '{"ok":true}', attempts: 3 });
      expect(d.clock.sleeps).toEqual([1000, 2000]);
      expect(seen[0]?.headers['user-agent']).toBe('phpublish-test/1');
    });
  });

  describe('when the server answers 5xx every time', () => {
    it('gives up after the configured attempts and returns the last answer', async () => {
      handlers.push(status(500), status(500), status(500), status(500), status(500));
      const res = await requestWithRetry({ method: 'GET', url: `${baseUrl}/x`, idempotent: true }, deps());
      expect(res.status).toBe(500);
      expect(res.attempts).toBe(4);
      expect(seen).toHaveLength(4);
    });
  });

  describe('when the request is not idempotent', () => {
    it('does not repeat it after a 500, which the server may have acted on', async () => {
      handlers.push(status(500));
      const res = await requestWithRetry(
        { method: 'POST', url: `${baseUrl}/x`, body: '{}', idempotent: false },
        deps(),
      );
      expect(res).toMatchObject({ status: 500, attempts: 1 });
    });

    it('does repeat it after a 429, which the server did not act on', async () => {
      handlers.push(status(429, { 'retry-after': '3' }));
      const d = deps();
      const res = await requestWithRetry({ method: 'POST', url: `${baseUrl}/x`, body: '{}', idempotent: false }, d);
      expect(res).toMatchObject({ status: 200, attempts: 2 });
      expect(d.clock.sleeps).toEqual([3000]);
    });
  });

  describe('when Retry-After asks for longer than we are willing to wait', () => {
    it('returns the 429 at once', async () => {
      handlers.push(status(429, { 'retry-after': '31536000' }));
      const d = deps();
      const res = await requestWithRetry({ method: 'GET', url: `${baseUrl}/x`, idempotent: true }, d);
      expect(res).toMatchObject({ status: 429, attempts: 1 });
      expect(d.clock.sleeps).toEqual([]);
    });
  });

  describe('when the connection is reset', () => {
    it('retries idempotent requests and then reports a network error with a plain reason', async () => {
      handlers.push(reset, reset, reset, reset);
      const error = await requestWithRetry({ method: 'GET', url: `${baseUrl}/x`, idempotent: true }, deps()).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(HttpNetworkError);
      expect(error).toMatchObject({ attempts: 4, reason: 'connection closed by the server before it answered' });
    });

    it('recovers when a later attempt succeeds', async () => {
      handlers.push(reset);
      const res = await requestWithRetry({ method: 'GET', url: `${baseUrl}/x`, idempotent: true }, deps());
      expect(res).toMatchObject({ status: 200, attempts: 2 });
    });
  });

  describe('when the server does not answer in time', () => {
    it('times out each attempt and says so', async () => {
      const hang: Handler = () => {};
      handlers.push(hang, hang);
      const d = deps({ timeoutMs: 150, retry: { ...DEFAULT_RETRY, attempts: 2 } });
      const error = await requestWithRetry({ method: 'GET', url: `${baseUrl}/x`, idempotent: true }, d).catch((e) => e);
      expect(error).toBeInstanceOf(HttpNetworkError);
      expect(error.reason).toBe('no answer within 150 ms');
      expect(error.attempts).toBe(2);
    });
  });

  describe('when nothing listens on the port', () => {
    it('retries even a non-idempotent request, then reports connection refused', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const d = deps();
      const error = await requestWithRetry(
        { method: 'POST', url: `http://127.0.0.1:${port}/x`, body: '{}', idempotent: false },
        d,
      ).catch((e) => e);
      expect(error).toMatchObject({ reason: 'connection refused', attempts: 4 });
      expect(d.clock.sleeps).toEqual([1000, 2000, 4000]);
    });
  });
});

describe('requestWithRetry, when an answer is larger than its kind allows', () => {
  const limits = { api: 1024, metadata: 4096 };
  const chunked =
    (bytes: number): Handler =>
    (_req, res) => {
      // No Content-Length: the size is only known by counting.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('"');
      res.end(`${'x'.repeat(bytes - 2)}"`);
    };

  it('refuses it from its Content-Length, without reading it or asking again', async () => {
    handlers.push((_req, res) => {
      res.writeHead(200, { 'content-length': String(600 * 1024 * 1024) });
      // A trickle that would take forever: only the header is needed to refuse.
      res.write('{');
    });
    const error = await requestWithRetry(
      { method: 'GET', url: `${baseUrl}/p2/x.json`, idempotent: true },
      deps({ limits }),
    ).catch((e) => e);
    expect(isPhpublishError(error, 'REMOTE_ANSWER_TOO_LARGE')).toBe(true);
    expect(error.message).toContain('larger than the 1 KiB allowed for API answers (it announced 600 MiB)');
    expect(error.remedy).toContain('--max-size api=<size>');
    expect(seen).toHaveLength(1);
  });

  it('counts the bytes of an answer that does not say its size, and stops past the limit', async () => {
    handlers.push(chunked(1025));
    const d = deps({ limits });
    const error = await requestWithRetry({ method: 'GET', url: `${baseUrl}/x`, idempotent: true }, d).catch((e) => e);
    expect(isPhpublishError(error, 'REMOTE_ANSWER_TOO_LARGE')).toBe(true);
    expect(error.message).not.toContain('announced');
    expect(seen).toHaveLength(1);
    expect(d.clock.sleeps).toEqual([]);
  });

  it('accepts an answer of exactly the limit', async () => {
    handlers.push(chunked(1024));
    const res = await requestWithRetry({ method: 'GET', url: `${baseUrl}/x`, idempotent: true }, deps({ limits }));
    expect(res.body).toHaveLength(1024);
  });

  it('applies the limit of the answer’s kind, and the default for kinds not given', async () => {
    handlers.push(chunked(2048), chunked(2048));
    const metadata = await requestWithRetry(
      { method: 'GET', url: `${baseUrl}/x`, idempotent: true, answer: 'metadata' },
      deps({ limits }),
    );
    expect(metadata.body).toHaveLength(2048);
    const bundle = await requestWithRetry(
      { method: 'GET', url: `${baseUrl}/x`, idempotent: true, answer: 'bundle' },
      deps({ limits }),
    );
    expect(bundle.body).toHaveLength(2048);
    expect(DEFAULT_ANSWER_LIMITS.bundle).toBeGreaterThan(2048);
  });

  it('names the URL without its credentials or query', async () => {
    handlers.push(chunked(2048));
    const url = `${baseUrl.replace('http://', 'http://user:secret@')}/asset?X-Amz-Signature=secret`;
    const error = await requestWithRetry({ method: 'GET', url, idempotent: true }, deps({ limits })).catch((e) => e);
    expect(error.message).toContain(`${baseUrl}/asset`);
    expect(error.message).not.toContain('secret');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
