import { execFile } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxGitHub, startSandboxGitHub } from './sandbox-github.js';
import { type SandboxGitLab, startSandboxGitLab } from './sandbox-gitlab.js';

let github: SandboxGitHub;
let gitlab: SandboxGitLab;
/** GitHub Enterprise Server's layout, over HTTPS. */
let enterprise: SandboxGitHub;
beforeAll(async () => {
  [github, gitlab, enterprise] = await Promise.all([
    startSandboxGitHub(),
    startSandboxGitLab(),
    startSandboxGitHub({ tls: true }),
  ]);
  enterprise.addRepository('acme/hello', { collaborators: ['acme', 'alice'] });
  github.addRepository('acme/hello');
  github.createRelease('acme/hello', 'v1.0.0');
  gitlab.addProject('acme/hello');
  gitlab.createRelease('acme/hello', 'v1.0.0');
});
afterAll(async () => {
  await Promise.all([github.close(), gitlab.close(), enterprise.close()]);
});

interface CallInit {
  method?: string;
  token?: string;
  headers?: Record<string, string>;
  body?: string;
}

const call = async (url: string, init: CallInit = {}) => {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  if (url.startsWith('https:')) return callTrusting(enterprise.caPem!, url, init.method ?? 'GET', headers, init.body);
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body, redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
};

/** An HTTPS request that trusts `ca` (this process's trust store cannot change once it runs). */
const callTrusting = (ca: string, url: string, method: string, headers: Record<string, string>, body?: string) =>
  new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
    const outgoing = httpsRequest(url, { method, headers, ca }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(response.headers))
          if (typeof value === 'string') answer.set(name, value);
        resolve({ status: response.statusCode ?? 0, headers: answer, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });

/** `fetch(url)` in a child node process with this environment: its status, or its error's cause code. */
const fetchInChild = (url: string, env: Record<string, string>) =>
  new Promise<string>((resolve) => {
    const script = `fetch(${JSON.stringify(url)}).then((r) => console.log(r.status), (e) => console.log(e.cause?.code ?? e.message))`;
    execFile(process.execPath, ['-e', script], { env: { PATH: process.env['PATH'] ?? '', ...env } }, (_e, stdout) =>
      resolve(stdout.trim()),
    );
  });

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

describe('sandbox GitHub in GitHub Enterprise Server’s layout (tls: true)', () => {
  const releases = () => `${enterprise.apiUrl}/repos/acme/hello/releases`;
  const release = (body: Record<string, unknown>) => JSON.stringify({ name: 'Release', body: 'notes', ...body });

  describe('when a client trusts the throwaway CA through NODE_EXTRA_CA_CERTS', () => {
    it('serves the API over HTTPS under /api/v3, and nothing outside it', async () => {
      expect(enterprise.apiUrl).toBe(`https://${enterprise.host}/api/v3`);
      expect(enterprise.url).toBe(enterprise.apiUrl);
      const url = `${enterprise.apiUrl}/repos/acme/hello/releases`;
      expect(await fetchInChild(url, { NODE_EXTRA_CA_CERTS: enterprise.caFile! })).toBe('200');
      // Without the CA, the certificate is refused: the trust is the CA's, not a switched-off check.
      expect(await fetchInChild(url, {})).toMatch(/CERT|SELF_SIGNED|UNABLE_TO/);
      // GitHub Enterprise Server answers the API only under its prefix: a client that drops it fails here too.
      expect((await call(`https://${enterprise.host}/repos/acme/hello/releases`)).status).toBe(404);
    });
  });

  describe('when release-it’s GitHub plugin checks who it is', () => {
    it('answers a user’s token with its login and its collaborator status, and refuses a workflow token', async () => {
      const user = enterprise.issueToken('acme/hello', { contents: 'write' }, { user: 'alice' });
      const workflow = enterprise.issueToken('acme/hello', { contents: 'write' });
      const me = await call(`${enterprise.apiUrl}/user`, { token: user });
      expect(me.status).toBe(200);
      expect(JSON.parse(me.text).login).toBe('alice');
      // A GITHUB_TOKEN is an installation's: GitHub refuses /user (release-it skips its checks on Actions).
      expect((await call(`${enterprise.apiUrl}/user`, { token: workflow })).status).toBe(403);
      expect((await call(`${enterprise.apiUrl}/user`)).status).toBe(401);
      const collaborator = (login: string) =>
        call(`${enterprise.apiUrl}/repos/acme/hello/collaborators/${login}`, { token: user });
      expect((await collaborator('alice')).status).toBe(204);
      expect((await collaborator('mallory')).status).toBe(404);
    });
  });

  describe('when a release is created through the API', () => {
    it('needs `contents: write`, answers with its upload URL under /api/uploads, and refuses a second one for the tag', async () => {
      const readOnly = enterprise.issueToken('acme/hello', { contents: 'read' });
      const writer = enterprise.issueToken('acme/hello', { contents: 'write' });
      const refused = await call(releases(), {
        method: 'POST',
        token: readOnly,
        body: release({ tag_name: 'v2.0.0' }),
      });
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.text).message).toBe('Resource not accessible by integration');
      expect((await call(releases(), { method: 'POST', token: writer, body: release({}) })).status).toBe(422);

      const created = await call(releases(), { method: 'POST', token: writer, body: release({ tag_name: 'v2.0.0' }) });
      expect(created.status).toBe(201);
      const body = JSON.parse(created.text);
      expect(body).toMatchObject({ tag_name: 'v2.0.0', name: 'Release', body: 'notes', draft: false });
      expect(body.upload_url).toBe(
        `https://${enterprise.host}/api/uploads/repos/acme/hello/releases/${body.id}/assets{?name,label}`,
      );
      expect(body.html_url).toBe(`https://${enterprise.host}/acme/hello/releases/tag/v2.0.0`);
      const again = await call(releases(), { method: 'POST', token: writer, body: release({ tag_name: 'v2.0.0' }) });
      expect(again.status).toBe(422);
      expect(JSON.parse(again.text).errors[0].code).toBe('already_exists');

      // Found by tag, listed newest first, the latest; an asset goes to it through the uploads path.
      const byTag = await call(`${releases()}/tags/v2.0.0`);
      expect(JSON.parse(byTag.text).id).toBe(body.id);
      const listed = JSON.parse((await call(`${releases()}?per_page=1&page=1`)).text);
      expect(listed.map((r: { id: number }) => r.id)).toEqual([body.id]);
      expect(JSON.parse((await call(`${releases()}/latest`)).text).id).toBe(body.id);
      const upload = `${body.upload_url.replace(/\{.*\}$/, '')}?name=a.zip`;
      expect((await call(upload, { method: 'POST', token: writer, body: 'zip' })).status).toBe(201);
      expect(enterprise.releaseAssets('acme/hello', 'v2.0.0').map((a) => a.name)).toEqual(['a.zip']);
    });
  });

  describe('when the release is a draft', () => {
    it('is hidden by tag and from those who may not push, until it is published', async () => {
      const writer = enterprise.issueToken('acme/hello', { contents: 'write' });
      const reader = enterprise.issueToken('acme/hello', { contents: 'read' });
      const created = await call(releases(), {
        method: 'POST',
        token: writer,
        body: release({ tag_name: 'v3.0.0', draft: true }),
      });
      expect(created.status).toBe(201);
      const draft = JSON.parse(created.text);
      expect(draft.draft).toBe(true);

      // As on GitHub: no release of the tag until the draft is published.
      expect((await call(`${releases()}/tags/v3.0.0`, { token: writer })).status).toBe(404);
      expect((await call(`${releases()}/${draft.id}`, { token: reader })).status).toBe(404);
      expect((await call(`${releases()}/${draft.id}`, { token: writer })).status).toBe(200);
      const ids = async (token?: string) =>
        JSON.parse((await call(releases(), token ? { token } : {})).text).map((r: { id: number }) => r.id);
      expect(await ids()).not.toContain(draft.id);
      expect(await ids(writer)).toContain(draft.id);
      expect(JSON.parse((await call(`${releases()}/latest`)).text).tag_name).not.toBe('v3.0.0');

      const publish = (token: string) =>
        call(`${releases()}/${draft.id}`, { method: 'PATCH', token, body: JSON.stringify({ draft: false }) });
      expect((await publish(reader)).status).toBe(403);
      const published = await publish(writer);
      expect(published.status).toBe(200);
      expect(JSON.parse(published.text).draft).toBe(false);
      expect(JSON.parse((await call(`${releases()}/tags/v3.0.0`)).text).id).toBe(draft.id);
      expect(enterprise.releases('acme/hello').find((r) => r.id === draft.id)?.draft).toBe(false);
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
