import { execFile } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxGitLab, startSandboxGitLab } from '../gitlab/sandbox-gitlab.js';
import { type SandboxGitHub, startSandboxGitHub } from './sandbox-github.js';

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

  describe('when the attestations API answers by reference', () => {
    const digest = 'ef'.repeat(32);
    const stored = bundle(digest);
    let listing: string;
    beforeAll(async () => {
      github.addRepository('acme/by-reference', { attestationBundles: 'by-reference' });
      const writer = github.issueToken('acme/by-reference', { attestations: 'write' });
      const url = `${github.url}/repos/acme/by-reference/attestations`;
      await call(url, { method: 'POST', token: writer, body: JSON.stringify({ bundle: stored }) });
      listing = `${url}/sha256:${digest}`;
    });

    it('lists `"bundle": null` and a pre-signed bundle_url serving the bundle snappy-compressed', async () => {
      const [item] = JSON.parse((await call(listing)).text).attestations;
      expect(item.bundle).toBeNull();
      expect(item.bundle_url).toMatch(/\/_storage\/attestations\/\d+\.json\.sn\?se=.+&sig=/);
      const response = await fetch(item.bundle_url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-snappy');
      const body = Buffer.from(await response.arrayBuffer());
      const json = JSON.stringify(stored);
      // The snappy preamble: the decoded length as a varint.
      expect((body[0]! & 0x7f) | ((body[1]! & 0x7f) << 7)).toBe(json.length);
      expect(body.length).toBeLessThan(json.length);
    });

    it('refuses a second credential, a changed signature and a URL for another blob', async () => {
      const [item] = JSON.parse((await call(listing)).text).attestations;
      const token = github.issueToken('acme/by-reference', { contents: 'read' });
      const withToken = await call(item.bundle_url, { token });
      expect(withToken.status).toBe(400);
      expect(withToken.text).toContain('Only one auth mechanism allowed');
      expect((await call(item.bundle_url.replace(/sig=[^&]+/, 'sig=forged'))).status).toBe(403);
      expect((await call(item.bundle_url.replace(/attestations\/\d+/, 'attestations/1'))).status).toBe(403);
    });

    it('serves plain JSON or a framed stream when told to, and inline bundles again when switched back', async () => {
      github.setAttestationBundles('acme/by-reference', 'by-reference-json');
      const [asJson] = JSON.parse((await call(listing)).text).attestations;
      expect(JSON.parse((await call(asJson.bundle_url)).text)).toEqual(stored);
      github.setAttestationBundles('acme/by-reference', 'by-reference-framed');
      const [framed] = JSON.parse((await call(listing)).text).attestations;
      const body = Buffer.from(await (await fetch(framed.bundle_url)).arrayBuffer());
      expect(body.subarray(0, 10).toString('hex')).toBe('ff060000734e61507059');
      github.setAttestationBundles('acme/by-reference', 'inline');
      const [inline] = JSON.parse((await call(listing)).text).attestations;
      expect(inline.bundle).toEqual(stored);
    });
  });

  describe('when the bundle URL has expired', () => {
    it('refuses it', async () => {
      const shortLived = await startSandboxGitHub({ attestationBundles: 'by-reference', bundleUrlLifetimeSeconds: 0 });
      try {
        shortLived.addRepository('acme/hello');
        const writer = shortLived.issueToken('acme/hello', { attestations: 'write' });
        const url = `${shortLived.url}/repos/acme/hello/attestations`;
        await call(url, { method: 'POST', token: writer, body: JSON.stringify({ bundle: bundle('12'.repeat(32)) }) });
        const [item] = JSON.parse((await call(`${url}/sha256:${'12'.repeat(32)}`)).text).attestations;
        const expired = await call(item.bundle_url);
        expect(expired.status).toBe(403);
        expect(expired.text).toContain('expiry');
      } finally {
        await shortLived.close();
      }
    });
  });

  describe('when the repository has release immutability on', () => {
    const releaseOf = async (tag: string) =>
      JSON.parse((await call(`${github.url}/repos/acme/frozen/releases/tags/${tag}`)).text);
    const upload = (release: { upload_url: string }, name: string, token: string) =>
      call(`${release.upload_url.replace(/\{.*\}$/, '')}?name=${name}`, { method: 'POST', token, body: '{}' });
    let writer: string;
    beforeAll(() => {
      github.addRepository('acme/frozen', { immutableReleases: true });
      writer = github.issueToken('acme/frozen', { contents: 'write' });
    });

    it('refuses assets on a published release with GitHub’s 422, and the tag for any other release', async () => {
      github.createRelease('acme/frozen', 'v1.0.0');
      const release = await releaseOf('v1.0.0');
      expect(release.immutable).toBe(true);
      const refused = await upload(release, 'a.zip', writer);
      expect(refused.status).toBe(422);
      expect(JSON.parse(refused.text).message).toBe('Cannot upload assets to an immutable release');
      const again = await call(`${github.url}/repos/acme/frozen/releases`, {
        method: 'POST',
        token: writer,
        body: JSON.stringify({ tag_name: 'v1.0.0', draft: true }),
      });
      expect(again.status).toBe(422);
      expect(JSON.parse(again.text).errors[0].message).toBe('tag_name was used by an immutable release');
      // Turning the setting off does not unfreeze what was published.
      github.setImmutableReleases('acme/frozen', false);
      expect((await upload(release, 'b.zip', writer)).status).toBe(422);
      github.setImmutableReleases('acme/frozen', true);
    });

    it('takes assets while the release is a draft, and freezes it when it is published', async () => {
      const { id } = github.createRelease('acme/frozen', 'v1.1.0', { draft: true });
      const draft = JSON.parse((await call(`${github.url}/repos/acme/frozen/releases/${id}`, { token: writer })).text);
      expect(draft.immutable).toBe(false);
      expect((await upload(draft, 'a.zip', writer)).status).toBe(201);
      const publish = await call(`${github.url}/repos/acme/frozen/releases/${id}`, {
        method: 'PATCH',
        token: writer,
        body: JSON.stringify({ draft: false }),
      });
      expect(JSON.parse(publish.text)).toMatchObject({ draft: false, immutable: true });
      expect((await upload(draft, 'b.zip', writer)).status).toBe(422);
      expect(github.releaseAssets('acme/frozen', 'v1.1.0').map((asset) => asset.name)).toEqual(['a.zip']);
    });

    it('says whether the setting is on to a user’s token, not to a workflow’s GITHUB_TOKEN', async () => {
      const url = `${github.url}/repos/acme/frozen/immutable-releases`;
      expect((await call(url, { token: writer })).status).toBe(403);
      const user = github.issueToken('acme/frozen', { contents: 'write' }, { user: 'acme' });
      expect(JSON.parse((await call(url, { token: user })).text)).toEqual({ enabled: true, enforced_by_owner: false });
      const other = github.issueToken('acme/hello', { contents: 'write' }, { user: 'acme' });
      expect((await call(`${github.url}/repos/acme/hello/immutable-releases`, { token: other })).status).toBe(404);
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
