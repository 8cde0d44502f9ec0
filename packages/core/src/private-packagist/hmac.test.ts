import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalRequestString, hmacAuthorization } from './hmac.js';

const base = { method: 'POST', key: 'k3y', timestamp: 1_700_000_000, cnonce: 'c'.repeat(40) };

describe('when a request is signed for Private Packagist', () => {
  it('signs method, host without port, path and the sorted RFC 3986-encoded parameters', () => {
    const canonical = canonicalRequestString({
      ...base,
      url: 'https://pp.example:8443/api/packages/acme/hello/artifacts/?ignored=1',
      body: Buffer.from([0x61, 0x20, 0x62, 0x21, 0x2a, 0x27, 0x28, 0x29, 0x7e, 0x2f, 0xff]),
    });
    expect(canonical).toBe(
      `POST\npp.example\n/api/packages/acme/hello/artifacts/\nbody=a%20b%21%2A%27%28%29~%2F%FF&cnonce=${'c'.repeat(40)}&key=k3y&timestamp=1700000000`,
    );
  });

  it('leaves an empty body out of the parameters', () => {
    expect(canonicalRequestString({ ...base, url: 'https://pp.example/api/packages/', body: new Uint8Array() })).toBe(
      `POST\npp.example\n/api/packages/\ncnonce=${'c'.repeat(40)}&key=k3y&timestamp=1700000000`,
    );
  });

  it('writes the header the API client writes, with a base64 HMAC-SHA256 of that string', () => {
    const input = { ...base, url: 'https://pp.example/api/packages/', body: Buffer.from('{"a":1}') };
    const header = hmacAuthorization({ key: 'k3y', secret: 's3cret' }, input);
    const expected = createHmac('sha256', 's3cret')
      .update(
        `POST\npp.example\n/api/packages/\nbody=%7B%22a%22%3A1%7D&cnonce=${'c'.repeat(40)}&key=k3y&timestamp=1700000000`,
      )
      .digest('base64');
    expect(header).toBe(
      `PACKAGIST-HMAC-SHA256 Key=k3y, Timestamp=1700000000, Cnonce=${'c'.repeat(40)}, Signature=${expected}`,
    );
  });

  it('draws a fresh 40-hex-digit nonce for every request', () => {
    const input = { method: 'POST', url: 'https://pp.example/api/packages/', timestamp: 1 };
    const nonces = [1, 2, 3].map(() => /Cnonce=([^,]+)/.exec(hmacAuthorization({ key: 'k', secret: 's' }, input))![1]);
    for (const nonce of nonces) expect(nonce).toMatch(/^[0-9a-f]{40}$/);
    expect(new Set(nonces).size).toBe(3);
  });
});
