/**
 * GitHub's attestations API answering by reference (`"bundle": null` and a pre-signed `bundle_url`
 * on blob storage serving the bundle snappy-compressed): against the sandbox GitHub for the shapes it
 * serves, and against a small hostile storage server on 127.0.0.1 for what must be refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AttestFixture,
  GITHUB_REPOSITORY,
  PACKAGE,
  type Run,
  SUBJECTS,
  startAttestFixture,
  TAG,
  VERSION,
  ZIP_SHA256,
} from '@phpublish/testing/attest';
import { codeOf } from '@phpublish/testing/errors';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswerLimits } from '../http/index.js';
import { testHttpDeps } from '../http/testing/deps.js';
import { Redactor } from '../log/index.js';
import { attestRelease } from './attest-release.js';
import { httpDeps } from './deps.js';
import { gitHubApiFor } from './forges.js';
import { fetchGitHubAttestations, type GitHubRepositoryApi, storeGitHubAttestation } from './github-store.js';
import { claimedSubjects, sameSubjects } from './stored-bundle.js';
import { toInTotoSubjects } from './subjects.js';

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture();
});
afterAll(async () => {
  await fixture.close();
});

const apiOf = (run: Run) =>
  gitHubApiFor({
    env: run.env,
    config: run.config,
    token: run.env['GITHUB_TOKEN']!,
    http: httpDeps(run.deps, 5),
    redactor: run.deps.redactor,
  });

describe('fetchGitHubAttestations', () => {
  describe('when the attestations API lists bundles by reference', () => {
    let run: Run;
    beforeAll(async () => {
      run = fixture.gitHubRun({}, { config: { storeReleaseAsset: false } });
      await attestRelease(
        run.config,
        { release: { packageName: PACKAGE, version: VERSION, tag: TAG }, subjects: SUBJECTS },
        run.deps,
      );
      expect(fixture.sandbox.github.attestations(GITHUB_REPOSITORY)).toHaveLength(1);
    });

    it.each(['by-reference', 'by-reference-framed', 'by-reference-json'] as const)(
      'reads the bundle served as %s, the same as inline',
      async (shape) => {
        fixture.sandbox.github.setAttestationBundles(GITHUB_REPOSITORY, 'inline');
        const inline = await fetchGitHubAttestations(apiOf(run), ZIP_SHA256);
        fixture.sandbox.github.setAttestationBundles(GITHUB_REPOSITORY, shape);
        const byReference = await fetchGitHubAttestations(apiOf(run), ZIP_SHA256);
        expect(byReference).toHaveLength(1);
        expect(byReference).toEqual(inline);
        expect(sameSubjects(claimedSubjects(byReference[0]), toInTotoSubjects(SUBJECTS))).toBe(true);
      },
    );

    it('fetches the bundle URL without the GitHub token (the storage host would refuse it anyway)', async () => {
      fixture.sandbox.github.setAttestationBundles(GITHUB_REPOSITORY, 'by-reference');
      await fetchGitHubAttestations(apiOf(run), ZIP_SHA256);
      const storage = fixture.sandbox.github.requests.filter((r) => r.url.includes('/_storage/attestations/'));
      expect(storage.length).toBeGreaterThan(0);
      for (const request of storage) expect(request.headers['authorization']).toBeUndefined();
    });

    it('recognises on a re-run that the attestation is already stored, and stores no duplicate', async () => {
      fixture.sandbox.github.setAttestationBundles(GITHUB_REPOSITORY, 'by-reference');
      const [bundle] = await fetchGitHubAttestations(apiOf(run), ZIP_SHA256);
      const outcome = await storeGitHubAttestation(apiOf(run), {
        bundle: bundle!,
        subjects: toInTotoSubjects(SUBJECTS),
      });
      expect(outcome.state).toBe('already-present');
      expect(fixture.sandbox.github.attestations(GITHUB_REPOSITORY)).toHaveLength(1);
    });
  });
});

describe('fetchGitHubAttestations, against a hostile bundle storage', () => {
  const TOKEN = 'ghs_secret-token-of-the-job';
  const DIGEST = 'ab'.repeat(32);
  let server: Server;
  let baseUrl: string;
  let agent: Agent;
  /** The body the storage serves, and the headers each storage request came with. */
  let stored: { status: number; body: Buffer };
  let storageHeaders: Record<string, unknown>[];

  beforeAll(async () => {
    agent = new Agent();
    storageHeaders = [];
    server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      if (path === `/api/repos/acme/hello/attestations/sha256:${DIGEST}`) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            attestations: [
              // On the API's own host, even: a bundle URL never gets the token.
              { bundle: null, bundle_url: `${baseUrl}/api/blob/1.json.sn?sig=presigned-secret&se=2099` },
            ],
          }),
        );
        return;
      }
      storageHeaders.push({ ...request.headers });
      response.writeHead(stored.status, { 'content-type': 'application/x-snappy' }).end(stored.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const gitHub = (limits: Partial<AnswerLimits> = {}): GitHubRepositoryApi => {
    const redactor = new Redactor();
    redactor.add(TOKEN);
    return {
      baseUrl: `${baseUrl}/api`,
      repository: 'acme/hello',
      authHeaders: { authorization: `Bearer ${TOKEN}` },
      http: testHttpDeps(agent, { limits }),
      redactor,
    };
  };

  it('refuses a snappy preamble announcing more than the bundle limit, and says so without the signature', async () => {
    // 4 GiB - 1 announced in five bytes: refused before anything that size is allocated.
    stored = { status: 200, body: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x61]) };
    const error = await fetchGitHubAttestations(gitHub(), DIGEST).catch((caught) => caught);
    expect(error.code).toBe('REMOTE_ANSWER_TOO_LARGE');
    expect(error.message).toContain(`${baseUrl}/api/blob/1.json.sn`);
    expect(error.message).not.toContain('presigned-secret');
    expect(storageHeaders.every((headers) => headers['authorization'] === undefined)).toBe(true);
  });

  it('holds the decoded size to a lower bundle limit too', async () => {
    const json = Buffer.from(JSON.stringify({ mediaType: 'x', padding: 'y'.repeat(200) }));
    // A literal-only snappy block of the JSON: 1 + 2 + length bytes, decoding to `length`.
    stored = {
      status: 200,
      body: Buffer.concat([
        Buffer.from([(json.length & 0x7f) | 0x80, json.length >> 7, 61 << 2]),
        u16(json.length - 1),
        json,
      ]),
    };
    expect(await fetchGitHubAttestations(gitHub(), DIGEST)).toEqual([JSON.parse(json.toString())]);
    expect(await codeOf(fetchGitHubAttestations(gitHub({ bundle: 100 }), DIGEST))).toBe('REMOTE_ANSWER_TOO_LARGE');
  });

  it.each([
    ['corrupt snappy data', Buffer.from([0x05, 0x00, 0x61, 0x01, 0x09])],
    ['snappy data that is not a JSON object', Buffer.from([0x05, 0x10, 0x5b, 0x31, 0x2c, 0x32, 0x5d])],
    ['nothing', Buffer.alloc(0)],
  ])('refuses %s as REMOTE_ANSWER_MALFORMED', async (_what, body) => {
    stored = { status: 200, body };
    expect(await codeOf(fetchGitHubAttestations(gitHub(), DIGEST))).toBe('REMOTE_ANSWER_MALFORMED');
  });

  it('says the pre-signed URL was refused, without its signature', async () => {
    stored = { status: 403, body: Buffer.from('<Error><Code>AuthenticationFailed</Code></Error>') };
    const error = await fetchGitHubAttestations(gitHub(), DIGEST).catch((caught) => caught);
    expect(error.code).toBe('ATTEST_FETCH_FAILED');
    expect(error.message).toContain('HTTP 403');
    expect(error.message).not.toContain('presigned-secret');
  });
});

function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value);
  return bytes;
}
