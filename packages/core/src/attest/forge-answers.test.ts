/**
 * What the GitHub and GitLab stores do with answers they cannot use: malformed JSON, links that
 * point elsewhere, bodies too large. A small server on 127.0.0.1 plays the hostile forge.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { codeOf } from '@phpublish/testing/errors';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnswerLimits } from '../http/index.js';
import { testHttpDeps } from '../http/testing/deps.js';
import { Redactor } from '../log/index.js';
import { fetchGitHubAttestations, fetchReleaseAsset, type GitHubRepositoryApi } from './github-store.js';
import { fetchGitLabReleaseLink, type GitLabProjectApi } from './gitlab-store.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const TOKEN = 'glpat-secret-token';
let server: Server;
let baseUrl: string;
let routes: Map<string, Handler>;
let seen: { path: string; headers: IncomingMessage['headers'] }[];
let agent: Agent;

beforeEach(async () => {
  routes = new Map();
  seen = [];
  server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    seen.push({ path, headers: request.headers });
    const handler = routes.get(path);
    if (handler) handler(request, response);
    else response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
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

const json =
  (value: unknown): Handler =>
  (_request, response) =>
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));

function api(limits: Partial<AnswerLimits> = {}) {
  const redactor = new Redactor();
  redactor.add(TOKEN);
  return {
    // The API lives under /api; the same host outside it is "elsewhere" for the token.
    baseUrl: `${baseUrl}/api`,
    authHeaders: { authorization: `Bearer ${TOKEN}`, 'private-token': TOKEN },
    http: testHttpDeps(agent, { limits }),
    redactor,
  };
}
const gitHub = (limits?: Partial<AnswerLimits>): GitHubRepositoryApi => ({ ...api(limits), repository: 'acme/hello' });
const gitLab = (limits?: Partial<AnswerLimits>): GitLabProjectApi => ({ ...api(limits), project: 'acme/hello' });

const GITHUB_RELEASE = '/api/repos/acme/hello/releases/tags/v1.0.0';
const GITLAB_RELEASE = '/api/projects/acme%2Fhello/releases/v1.0.0';

describe('the GitHub store, reading', () => {
  it.each([
    ['an asset without a name', { upload_url: 'https://u.invalid/x', assets: [{ url: 'https://a.invalid/1' }] }],
    [
      'an asset URL that is not http(s)',
      { upload_url: 'https://u.invalid/x', assets: [{ name: 'b', url: 'file:///etc/passwd' }] },
    ],
    ['assets that are not a list', { upload_url: 'https://u.invalid/x', assets: 'b' }],
    ['no upload URL', { assets: [] }],
  ])('refuses a release with %s as REMOTE_ANSWER_MALFORMED', async (_what, release) => {
    routes.set(GITHUB_RELEASE, json(release));
    expect(await codeOf(fetchReleaseAsset(gitHub(), { tag: 'v1.0.0', assetName: 'b' }))).toBe(
      'REMOTE_ANSWER_MALFORMED',
    );
  });

  it('names where the answer is wrong', async () => {
    routes.set(
      GITHUB_RELEASE,
      json({ upload_url: 'https://u.invalid/x', assets: [{ name: 7, url: 'https://a.invalid' }] }),
    );
    const error = await fetchReleaseAsset(gitHub(), { tag: 'v1.0.0', assetName: 'b' }).catch((e) => e);
    expect(error.message).toContain(`GitHub answered ${baseUrl}${GITHUB_RELEASE} (HTTP 200)`);
    expect(error.message).toContain('assets[0].name');
  });

  it.each([
    ['a list', []],
    ['attestations that are not a list', { attestations: {} }],
    ['a bundle that is text', { attestations: [{ bundle: 'x' }] }],
  ])('refuses an attestation listing that is %s', async (_what, answer) => {
    routes.set('/api/repos/acme/hello/attestations/sha256:ab', json(answer));
    expect(await codeOf(fetchGitHubAttestations(gitHub(), 'ab'))).toBe('REMOTE_ANSWER_MALFORMED');
  });

  it('sends the token for an asset under the API, and not for one elsewhere', async () => {
    routes.set(
      GITHUB_RELEASE,
      json({
        upload_url: 'https://u.invalid/x',
        assets: [
          { name: 'own', url: `${baseUrl}/api/assets/1` },
          { name: 'elsewhere', url: `${baseUrl}/storage/2` },
        ],
      }),
    );
    routes.set('/api/assets/1', json({ bundle: 1 }));
    routes.set('/storage/2', json({ bundle: 2 }));
    await fetchReleaseAsset(gitHub(), { tag: 'v1.0.0', assetName: 'own' });
    await fetchReleaseAsset(gitHub(), { tag: 'v1.0.0', assetName: 'elsewhere' });
    expect(seen.find((s) => s.path === '/api/assets/1')?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen.find((s) => s.path === '/storage/2')?.headers.authorization).toBeUndefined();
  });

  it('refuses a bundle larger than the bundle limit', async () => {
    routes.set(
      GITHUB_RELEASE,
      json({ upload_url: 'https://u.invalid/x', assets: [{ name: 'b', url: `${baseUrl}/api/a` }] }),
    );
    routes.set('/api/a', json({ padding: 'x'.repeat(4096) }));
    expect(await codeOf(fetchReleaseAsset(gitHub({ bundle: 1024 }), { tag: 'v1.0.0', assetName: 'b' }))).toBe(
      'REMOTE_ANSWER_TOO_LARGE',
    );
  });
});

describe('the GitLab store, reading', () => {
  it.each([
    ['a link URL that is a number', { assets: { links: [{ name: 'b', url: 5 }] } }],
    ['links that are an object', { assets: { links: { b: 'x' } } }],
    ['a link without a name', { assets: { links: [{ url: 'https://a.invalid/b' }] } }],
  ])('refuses a release with %s as REMOTE_ANSWER_MALFORMED', async (_what, release) => {
    routes.set(GITLAB_RELEASE, json(release));
    expect(await codeOf(fetchGitLabReleaseLink(gitLab(), { tag: 'v1.0.0', fileName: 'b' }))).toBe(
      'REMOTE_ANSWER_MALFORMED',
    );
  });

  it('refuses a linked bundle larger than the bundle limit', async () => {
    routes.set(GITLAB_RELEASE, json({ assets: { links: [{ name: 'b', url: `${baseUrl}/api/files/b` }] } }));
    routes.set('/api/files/b', json({ padding: 'x'.repeat(4096) }));
    expect(await codeOf(fetchGitLabReleaseLink(gitLab({ bundle: 1024 }), { tag: 'v1.0.0', fileName: 'b' }))).toBe(
      'REMOTE_ANSWER_TOO_LARGE',
    );
  });

  it('does not send the project token to a link outside the API', async () => {
    routes.set(GITLAB_RELEASE, json({ assets: { links: [{ name: 'b', url: `${baseUrl}/elsewhere/b` }] } }));
    routes.set('/elsewhere/b', json({ bundle: 1 }));
    await fetchGitLabReleaseLink(gitLab(), { tag: 'v1.0.0', fileName: 'b' });
    expect(seen.find((s) => s.path === '/elsewhere/b')?.headers['private-token']).toBeUndefined();
  });
});
