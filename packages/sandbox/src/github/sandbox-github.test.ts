import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxGitHub, startSandboxGitHub } from './sandbox-github.js';
import { type SandboxGitLab, startSandboxGitLab } from './sandbox-gitlab.js';

let github: SandboxGitHub;
let gitlab: SandboxGitLab;
beforeAll(async () => {
  [github, gitlab] = await Promise.all([startSandboxGitHub(), startSandboxGitLab()]);
  github.addRepository('acme/hello');
  github.createRelease('acme/hello', 'v1.0.0');
  gitlab.addProject('acme/hello');
  gitlab.createRelease('acme/hello', 'v1.0.0');
});
afterAll(async () => {
  await Promise.all([github.close(), gitlab.close()]);
});

const call = async (
  url: string,
  init: { method?: string; token?: string; headers?: Record<string, string>; body?: string } = {},
) => {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body, redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
};

const bundle = (zipSha256: string) => ({
  mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  dsseEnvelope: {
    payloadType: 'application/vnd.in-toto+json',
    payload: Buffer.from(JSON.stringify({ subject: [{ name: 'a.zip', digest: { sha256: zipSha256 } }] })).toString(
      'base64',
    ),
    signatures: [],
  },
});

describe('sandbox GitHub', () => {
  describe('when a workflow token uploads a release asset', () => {
    it('needs `contents: write`, refuses a second asset of the same name, and serves it through a redirect', async () => {
      const release = JSON.parse((await call(`${github.url}/repos/acme/hello/releases/tags/v1.0.0`)).text);
      const upload = `${release.upload_url.replace(/\{.*\}$/, '')}?name=a.sigstore.json`;
      const readOnly = github.issueToken('acme/hello', { contents: 'read' });
      const writer = github.issueToken('acme/hello', { contents: 'write' });
      expect((await call(upload, { method: 'POST', token: readOnly, body: '{}' })).status).toBe(403);
      expect((await call(upload, { method: 'POST', token: 'ghs_unknown', body: '{}' })).status).toBe(401);
      const created = await call(upload, { method: 'POST', token: writer, body: '{"a":1}' });
      expect(created.status).toBe(201);
      expect((await call(upload, { method: 'POST', token: writer, body: '{}' })).status).toBe(422);

      const asset = JSON.parse(created.text);
      const redirect = await call(asset.url, { token: writer, headers: { accept: 'application/octet-stream' } });
      expect(redirect.status).toBe(302);
      const location = String(redirect.headers.get('location'));
      expect((await call(location, { token: writer })).status).toBe(400);
      expect((await call(location)).text).toBe('{"a":1}');
    });
  });

  describe('when a workflow token stores an attestation', () => {
    it('needs `attestations: write`, and serves it by subject digest', async () => {
      const url = `${github.url}/repos/acme/hello/attestations`;
      const body = JSON.stringify({ bundle: bundle('ab'.repeat(32)) });
      const without = github.issueToken('acme/hello', { contents: 'write' });
      const withIt = github.issueToken('acme/hello', { attestations: 'write' });
      const refused = await call(url, { method: 'POST', token: without, body });
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.text).message).toBe('Resource not accessible by integration');
      expect((await call(url, { method: 'POST', token: withIt, body: '{}' })).status).toBe(422);
      expect((await call(url, { method: 'POST', token: withIt, body })).status).toBe(201);
      const found = JSON.parse((await call(`${url}/sha256:${'ab'.repeat(32)}`)).text);
      expect(found.attestations).toHaveLength(1);
      expect((await call(`${url}/sha256:${'cd'.repeat(32)}`)).status).toBe(404);
    });
  });
});

describe('sandbox GitLab', () => {
  it('takes a package file with the job token, links it from the release once, and serves it anonymously', async () => {
    const project = `${gitlab.apiUrl}/projects/${encodeURIComponent('acme/hello')}`;
    const file = `${project}/packages/generic/phpublish-attestations/1.0.0/a.sigstore.json`;
    const jobToken = gitlab.issueJobToken('acme/hello');
    expect((await call(file, { method: 'PUT', body: '{}' })).status).toBe(403);
    expect((await call(file, { method: 'PUT', headers: { 'job-token': jobToken }, body: '{"b":2}' })).status).toBe(201);
    expect((await call(file)).text).toBe('{"b":2}');

    const links = `${project}/releases/v1.0.0/assets/links`;
    const link = JSON.stringify({ name: 'a.sigstore.json', url: file, link_type: 'other' });
    const headers = { 'job-token': jobToken, 'content-type': 'application/json' };
    expect((await call(links, { method: 'POST', headers, body: link })).status).toBe(201);
    expect((await call(links, { method: 'POST', headers, body: link })).status).toBe(400);
    const release = JSON.parse((await call(`${project}/releases/v1.0.0`)).text);
    expect(release.assets.links.map((l: { name: string }) => l.name)).toEqual(['a.sigstore.json']);
    expect((await call(`${project}/releases/v9.9.9`)).status).toBe(404);
  });
});
