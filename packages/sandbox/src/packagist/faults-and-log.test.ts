import { type PackagistFixture, p2Versions, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { afterEach, describe, expect, it } from 'vitest';
import { sandboxAudit } from '../audit.js';
import { receivedRequests } from '../http/request-log.js';

const UPDATE = '/api/update-package';

describe('when a test injects faults', () => {
  let fx: PackagistFixture;
  afterEach(async () => {
    await fx.cleanup();
  });

  it('answers the next matching requests with the canned response, then normally', async () => {
    fx = await startPackagistFixture();
    fx.packagist.injectFault({
      method: 'POST',
      path: UPDATE,
      times: 2,
      fault: { status: 429, headers: { 'retry-after': '31536000' }, body: 'Too Many Requests' },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await fx.postJson(UPDATE, { repository: REPOSITORY_URL });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get('retry-after')).toBe('31536000');
        expect(await response.text()).toBe('Too Many Requests');
      }
    }
    expect(statuses).toEqual([429, 429, 202]);
  });

  it('matches the method and a RegExp path', async () => {
    fx = await startPackagistFixture();
    fx.packagist.injectFault({
      method: 'GET',
      path: /^\/p2\//,
      fault: { status: 502, body: '<html>Bad Gateway</html>' },
    });
    expect((await fx.postJson(UPDATE, { repository: REPOSITORY_URL })).status).toBe(202);
    const p2 = await fetch(`${fx.packagist.url}/p2/acme/hello.json`);
    expect(p2.status).toBe(502);
    expect(await p2.text()).toBe('<html>Bad Gateway</html>');
    expect((await fetch(`${fx.packagist.url}/p2/acme/hello.json`)).status).toBe(200);
  });

  it('resets the connection', async () => {
    fx = await startPackagistFixture();
    fx.packagist.injectFault({ path: UPDATE, fault: { reset: true } });
    await expect(fx.postJson(UPDATE, { repository: REPOSITORY_URL })).rejects.toThrow();
    expect((await fx.postJson(UPDATE, { repository: REPOSITORY_URL })).status).toBe(202);
  });

  it('hangs so that a client times out, and still handles the request afterwards', async () => {
    fx = await startPackagistFixture();
    fx.packagist.injectFault({ path: UPDATE, fault: { hangMs: 300 } });
    const started = Date.now();
    await expect(
      fetch(`${fx.packagist.url}${UPDATE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer alice:${fx.alice.safeToken}` },
        body: JSON.stringify({ repository: REPOSITORY_URL }),
        signal: AbortSignal.timeout(50),
      }),
    ).rejects.toThrow(/aborted|timeout/i);
    expect(Date.now() - started).toBeLessThan(300);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await fx.packagist.idle();
    expect(p2Versions((await fx.getJson('/p2/acme/hello.json')).body)).toHaveLength(1);
  });

  it('can fail after handling, so the job is queued though the client saw an error', async () => {
    fx = await startPackagistFixture();
    fx.packagist.injectFault({ path: UPDATE, when: 'after', fault: { status: 503, body: 'Service Unavailable' } });
    expect((await fx.postJson(UPDATE, { repository: REPOSITORY_URL })).status).toBe(503);
    await fx.packagist.idle();
    expect(p2Versions((await fx.getJson('/p2/acme/hello.json')).body).map((v) => v['version'])).toEqual(['v1.0.0']);
  });

  it('rejects a fault with a non-positive count', async () => {
    fx = await startPackagistFixture();
    expect(() => fx.packagist.injectFault({ path: UPDATE, times: 0, fault: { reset: true } })).toThrow(/positive/);
  });
});

describe('when the sandbox records requests', () => {
  let fx: PackagistFixture;
  afterEach(async () => {
    await fx.cleanup();
  });

  it('keeps each request with the Authorization header redacted', async () => {
    fx = await startPackagistFixture();
    await fx.postJson(UPDATE, { repository: REPOSITORY_URL });
    const [request] = fx.packagist.requests;
    expect(request).toMatchObject({
      method: 'POST',
      url: UPDATE,
      redactedUrl: UPDATE,
      body: JSON.stringify({ repository: REPOSITORY_URL }),
    });
    expect(request?.headers['authorization']).toBe('<redacted>');
    expect(request?.headers['content-type']).toBe('application/json');
  });

  it('keeps a query token in url (so tests can catch it) but not in redactedUrl, body or the log', async () => {
    const lines: string[] = [];
    fx = await startPackagistFixture({ sandbox: { log: (line) => lines.push(line) } });
    const token = fx.alice.safeToken;
    await fx.post(`${UPDATE}?username=alice&apiToken=${token}`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-note': `token ${fx.alice.mainToken}` },
      body: new URLSearchParams({
        payload: JSON.stringify({ repository: REPOSITORY_URL }),
        apiToken: token,
      }).toString(),
    });
    await fx.packagist.idle();
    const [request] = fx.packagist.requests;
    expect(request?.url).toContain(token);
    expect(request?.redactedUrl).toBe('/api/update-package?username=alice&apiToken=<redacted>');
    expect(request?.body).not.toContain(token);
    expect(request?.body).toContain('apiToken=<redacted>');
    expect(request?.headers['x-note']).toBe('token <redacted>');
    expect(lines.some((line) => line.includes('/api/update-package'))).toBe(true);
    expect(lines.join('\n')).not.toContain(token);
  });
});

// This file sends tokens in query strings on purpose (Packagist's legacy authentication), so its
// requests are kept out of the suite-wide check that clients never put a token in a URL.
afterEach(() => {
  sandboxAudit.requestUrls.length = 0;
  receivedRequests.length = 0; // and out of the suite's leak scan
});
