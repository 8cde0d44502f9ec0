import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxRequest } from './exchange.js';
import { FaultInjector, type FaultRule } from './faults.js';
import { type RunningHttpServer, startHttpServer } from './server.js';

const request = (path: string) => ({ method: 'GET', path }) as SandboxRequest;

describe('FaultInjector', () => {
  describe('when a rule skips matching requests first', () => {
    it('lets that many through, then faults the next ones, then stops', () => {
      const faults = new FaultInjector();
      faults.arm({ path: '/p2/acme/hello.json', skip: 2, times: 2, fault: { status: 503 } });
      const outcomes = [1, 2, 3, 4, 5].map(() => faults.take(request('/p2/acme/hello.json')) !== undefined);
      expect(outcomes).toEqual([false, false, true, true, false]);
      // Other paths are never affected.
      expect(faults.take(request('/jobs/1'))).toBeUndefined();
    });

    it('refuses a skip that is not a whole number', () => {
      expect(() => new FaultInjector().arm({ path: '/x', skip: -1, fault: { status: 500 } })).toThrow(/skip/);
    });
  });
});

describe('when a stand-in server delivers an answer under a fault', () => {
  const answer = {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ok: 'x'.repeat(40) }),
  };
  let server: RunningHttpServer | undefined;
  let handled = 0;
  const start = async (rule: FaultRule) => {
    const faults = new FaultInjector();
    faults.arm(rule);
    handled = 0;
    server = await startHttpServer({
      faults,
      handle: async () => {
        handled += 1;
        return answer;
      },
      onRequest: () => {},
      onResponse: () => {},
      onError: () => {},
    });
    return server.url;
  };
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('trickles the real answer a few bytes at a time (drip), whole in the end', async () => {
    const url = await start({ path: '/x', fault: { drip: { chunkBytes: 5, intervalMs: 5 } } });
    const started = Date.now();
    const response = await fetch(`${url}/x`);
    expect(await response.text()).toBe(answer.body);
    // 51 bytes in 11 chunks, 5 ms apart.
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(handled).toBe(1);
  });

  it('closes the connection after half of the body it declared (truncate)', async () => {
    const url = await start({ path: '/x', fault: { truncate: true } });
    const response = await fetch(`${url}/x`);
    expect(response.headers.get('content-length')).toBe(String(answer.body.length));
    await expect(response.text()).rejects.toThrow();
    expect(handled).toBe(1);
    // The next request is answered whole.
    expect(await (await fetch(`${url}/x`)).text()).toBe(answer.body);
  });

  it('sends an oversized body, declared or chunked, without handling the request', async () => {
    for (const declared of [true, false]) {
      const url = await start({ path: '/x', fault: { oversize: { bytes: 3 * 1024 * 1024 + 7, declared } } });
      const response = await fetch(`${url}/x`);
      expect(response.headers.get('content-length')).toBe(declared ? String(3 * 1024 * 1024 + 7) : null);
      expect((await response.arrayBuffer()).byteLength).toBe(3 * 1024 * 1024 + 7);
      expect(handled).toBe(0);
      await server?.close();
    }
    server = undefined;
  });

  it('answers a handled request with a canned garbage body when armed `after`', async () => {
    const url = await start({ path: '/x', when: 'after', fault: { status: 200, body: '\u0000<html>garbage' } });
    expect(await (await fetch(`${url}/x`)).text()).toBe('\u0000<html>garbage');
    expect(handled).toBe(1);
  });

  it('refuses a drip of no bytes', () => {
    expect(() => new FaultInjector().arm({ path: '/x', fault: { drip: { chunkBytes: 0, intervalMs: 1 } } })).toThrow(
      /drip/,
    );
  });
});
