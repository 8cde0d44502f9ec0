import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hmacAuthorization } from '../../../core/src/private-packagist/hmac.js';
import { installWithComposer } from '../composer/install.js';
import { gitHubActionsClaims } from '../oidc/claims.js';
import { type SandboxOidcIssuer, startSandboxOidcIssuer } from '../oidc/oidc-issuer.js';
import { type SandboxPrivatePackagist, startSandboxPrivatePackagist } from './sandbox-private-packagist.js';

const run = promisify(execFile);
const ORG = 'acme-org';

let repo: PhpPackageRepo;
let zip: Buffer;
let otherZip: Buffer;
let issuer: SandboxOidcIssuer;
let pp: SandboxPrivatePackagist;
let now: number;

beforeAll(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] });
  zip = (await run('git', ['archive', '--format=zip', 'v1.0.0'], { cwd: repo.dir, encoding: 'buffer' })).stdout;
  await repo.commit({ 'src/More.php': '<?php // more\n' }, 'More');
  otherZip = (await run('git', ['archive', '--format=zip', 'HEAD'], { cwd: repo.dir, encoding: 'buffer' })).stdout;
});
afterAll(async () => repo.cleanup());

beforeEach(async () => {
  now = Date.now();
  const clock = { now: () => now };
  issuer = await startSandboxOidcIssuer({ clock });
  pp = await startSandboxPrivatePackagist({ githubIssuer: issuer, clock });
  pp.addTrustedPublisher(ORG, {
    packageName: 'acme/hello',
    owner: 'acme',
    repository: 'hello',
    workflow: 'release.yml',
  });
});
afterEach(async () => {
  await pp.close();
  await issuer.close();
});

/** A GitHub Actions token of acme/hello's release workflow, with changes. */
function ciToken(change: { job?: Parameters<typeof gitHubActionsClaims>[0]; extra?: object; audience?: string } = {}) {
  const claims = { ...gitHubActionsClaims(change.job ?? { repository: 'acme/hello' }), ...change.extra };
  return issuer.mint(claims, { audience: change.audience ?? pp.audienceFor(ORG) });
}

async function exchange(token: string, packageName = 'acme/hello') {
  const answer = await fetch(`${pp.url}/api/oidc/token-exchange/${ORG}/${packageName}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: answer.status, body: (await answer.json()) as { key?: string; secret?: string; message?: string } };
}

async function credential() {
  const { status, body } = await exchange(ciToken());
  expect(status).toBe(200);
  return { key: body.key!, secret: body.secret! };
}

async function signedPost(
  path: string,
  cred: { key: string; secret: string },
  init: { body: Buffer | string; headers?: Record<string, string>; timestamp?: number; cnonce?: string },
) {
  const url = `${pp.url}${path}`;
  const body = Buffer.from(init.body);
  const authorization = hmacAuthorization(cred, {
    method: 'POST',
    url,
    body,
    timestamp: init.timestamp ?? Math.floor(now / 1000),
    ...(init.cnonce ? { cnonce: init.cnonce } : {}),
  });
  const answer = await fetch(url, { method: 'POST', headers: { authorization, ...init.headers }, body });
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
}

const zipHeaders = { 'content-type': 'application/zip', 'x-filename': 'acme-hello-1.0.0.zip' };

/** First release: upload, then create the artifact package. */
async function firstRelease(cred: { key: string; secret: string }, body = zip) {
  const uploaded = await signedPost('/api/packages/artifacts/', cred, { body, headers: zipHeaders });
  expect(uploaded.status).toBe(201);
  return signedPost('/api/packages/', cred, {
    body: JSON.stringify({ repoType: 'artifact', artifactIds: [uploaded.body['id']] }),
    headers: { 'content-type': 'application/json' },
  });
}

describe('when a GitHub Actions workflow asks for the audience and exchanges its token', () => {
  it('names the organisation audience (and the instance one on the older path)', async () => {
    const answer = await (await fetch(`${pp.url}/api/oidc/audience/${ORG}`)).json();
    expect(answer).toEqual({ audience: pp.audienceFor(ORG) });
    expect(await (await fetch(`${pp.url}/api/oidc/audience`)).json()).toEqual({ audience: pp.instanceAudience });
    expect((await fetch(`${pp.url}/api/oidc/audience/nobody`)).status).toBe(404);
  });

  it('gives the trusted workflow a key and secret', async () => {
    const { key, secret } = await credential();
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts the trusted workflow when it is the reusable workflow the job runs', async () => {
    const job = {
      repository: 'acme/hello',
      workflowPath: '.github/workflows/ci.yml',
      jobWorkflowRef: 'acme/hello/.github/workflows/release.yml@refs/tags/v1.0.0',
    };
    expect((await exchange(ciToken({ job }))).status).toBe(200);
  });

  it.each([
    ['another repository', { job: { repository: 'acme/other' } }, 403, /repository/],
    ['a repository whose name only starts the same', { job: { repository: 'acme/hello-fork' } }, 403, /repository/],
    [
      'another workflow',
      { job: { repository: 'acme/hello', workflowPath: '.github/workflows/ci.yml' } },
      403,
      /workflow/,
    ],
    [
      'the workflow file in another folder',
      { job: { repository: 'acme/hello', workflowPath: '.github/workflows/sub/release.yml' } },
      403,
      /workflow/,
    ],
    ['another audience', { audience: 'sigstore' }, 401, /audience/],
    ["another organisation's audience", { audience: 'other-org' }, 401, /audience/],
  ])('refuses %s', async (_, change, status, reason) => {
    const { status: got, body } = await exchange(ciToken(change));
    expect(got).toBe(status);
    expect(body.message).toMatch(reason);
    expect(body.key).toBeUndefined();
  });

  it('refuses a job outside the environment the publisher requires, and accepts one in it', async () => {
    pp.addTrustedPublisher(ORG, {
      packageName: 'acme/guarded',
      owner: 'acme',
      repository: 'hello',
      workflow: 'release.yml',
      environment: 'release',
    });
    expect((await exchange(ciToken(), 'acme/guarded')).status).toBe(403);
    expect((await exchange(ciToken({ extra: { environment: 'staging' } }), 'acme/guarded')).body.message).toMatch(
      /environment/,
    );
    expect((await exchange(ciToken({ extra: { environment: 'release' } }), 'acme/guarded')).status).toBe(200);
  });

  it('refuses a package with no trusted publisher', async () => {
    const { status, body } = await exchange(ciToken(), 'acme/other');
    expect(status).toBe(403);
    expect(body.message).toMatch(/no trusted publisher/);
  });

  it('refuses an expired token', async () => {
    const token = ciToken();
    now += 10 * 60 * 1000;
    const { status, body } = await exchange(token);
    expect(status).toBe(401);
    expect(body.message).toMatch(/expired/);
  });

  it("refuses a token signed by another issuer's key, even with the right claims", async () => {
    const impostor = await startSandboxOidcIssuer({ issuer: issuer.issuer });
    try {
      const forged = impostor.mint(gitHubActionsClaims({ repository: 'acme/hello' }), {
        audience: pp.audienceFor(ORG),
      });
      expect((await exchange(forged)).status).toBe(401);
    } finally {
      await impostor.close();
    }
  });

  it('refuses a well-signed token whose issuer is not the one trusted', async () => {
    const strict = await startSandboxPrivatePackagist({
      githubIssuer: { issuer: 'https://token.actions.githubusercontent.com', jwksUrl: issuer.jwksUrl },
    });
    try {
      strict.addTrustedPublisher(ORG, {
        packageName: 'acme/hello',
        owner: 'acme',
        repository: 'hello',
        workflow: 'release.yml',
      });
      const token = issuer.mint(gitHubActionsClaims({ repository: 'acme/hello' }), {
        audience: strict.audienceFor(ORG),
      });
      const answer = await fetch(`${strict.url}/api/oidc/token-exchange/${ORG}/acme/hello`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { message: string }).message).toMatch(/issuer/);
    } finally {
      await strict.close();
    }
  });

  it('refuses a tampered token (claims changed after signing)', async () => {
    const [head, , signature] = ciToken({ job: { repository: 'acme/other' } }).split('.');
    const claims = Buffer.from(JSON.stringify(gitHubActionsClaims({ repository: 'acme/hello' }))).toString('base64url');
    expect((await exchange(`${head}.${claims}.${signature}`)).status).toBe(401);
  });
});

describe('when a workflow publishes with its exchanged credential', () => {
  it('creates the artifact package, then Composer installs the uploaded zip', async () => {
    const cred = await credential();
    const created = await firstRelease(cred);
    expect(created.status).toBe(201);
    expect(pp.versions(ORG, 'acme/hello')).toEqual([{ version: '1.0.0', sha256: expect.any(String) }]);

    const work = await makeTempDir('phpublish-pp-composer-');
    try {
      const installed = await installWithComposer({
        repositoryUrl: pp.repositoryUrl(ORG),
        packageName: 'acme/hello',
        version: '1.0.0',
        workDir: work.path,
        path: process.env['PATH'],
      });
      expect(installed.files).toContain('composer.json');
      expect(installed.files).toContain('src/Hello.php');
    } finally {
      await work.cleanup();
    }
  });

  it('adds a version to an existing package; the same zip again is accepted, another zip is not', async () => {
    const cred = await credential();
    expect((await firstRelease(cred)).status).toBe(201);
    const again = await signedPost('/api/packages/acme/hello/artifacts/', cred, { body: zip, headers: zipHeaders });
    expect(again.status).toBe(201);
    const other = await signedPost('/api/packages/acme/hello/artifacts/', cred, {
      body: otherZip,
      headers: zipHeaders,
    });
    expect(other.status).toBe(409);
    const next = await signedPost('/api/packages/acme/hello/artifacts/', cred, {
      body: otherZip,
      headers: { ...zipHeaders, 'x-filename': 'acme-hello-1.1.0.zip' },
    });
    expect(next.status).toBe(201);
    expect(
      pp
        .versions(ORG, 'acme/hello')
        .map((v) => v.version)
        .sort(),
    ).toEqual(['1.0.0', '1.1.0']);
  });

  it('answers 404 for a package that does not exist yet (the cue for the first-release path)', async () => {
    const cred = await credential();
    const answer = await signedPost('/api/packages/acme/hello/artifacts/', cred, { body: zip, headers: zipHeaders });
    expect(answer.status).toBe(404);
  });

  it('refuses a replayed nonce', async () => {
    const cred = await credential();
    expect((await firstRelease(cred)).status).toBe(201);
    const cnonce = 'a'.repeat(40);
    const path = '/api/packages/acme/hello/artifacts/';
    expect((await signedPost(path, cred, { body: zip, headers: zipHeaders, cnonce })).status).toBe(201);
    const replay = await signedPost(path, cred, { body: zip, headers: zipHeaders, cnonce });
    expect(replay.status).toBe(401);
    expect(replay.body['message']).toMatch(/cnonce/);
  });

  it.each([
    ['too old', -301],
    ['in the future', 301],
  ])('refuses a timestamp %s', async (_, offset) => {
    const cred = await credential();
    const answer = await signedPost('/api/packages/artifacts/', cred, {
      body: zip,
      headers: zipHeaders,
      timestamp: Math.floor(now / 1000) + offset,
    });
    expect(answer.status).toBe(401);
    expect(answer.body['message']).toMatch(/timestamp/);
  });

  it('refuses a signature made with another secret, or over another body', async () => {
    const cred = await credential();
    const wrongSecret = await signedPost(
      '/api/packages/artifacts/',
      { ...cred, secret: 'f'.repeat(64) },
      { body: zip },
    );
    expect(wrongSecret.status).toBe(401);
    const url = `${pp.url}/api/packages/artifacts/`;
    const authorization = hmacAuthorization(cred, {
      method: 'POST',
      url,
      body: zip,
      timestamp: Math.floor(now / 1000),
    });
    const swapped = await fetch(url, { method: 'POST', headers: { authorization, ...zipHeaders }, body: otherZip });
    expect(swapped.status).toBe(401);
    const unsigned = await fetch(url, { method: 'POST', headers: zipHeaders, body: zip });
    expect(unsigned.status).toBe(401);
  });

  it('refuses the credential for another package', async () => {
    pp.addTrustedPublisher(ORG, {
      packageName: 'acme/other',
      owner: 'acme',
      repository: 'hello',
      workflow: 'release.yml',
    });
    const forOther = await exchange(ciToken(), 'acme/other');
    const otherCred = { key: forOther.body.key!, secret: forOther.body.secret! };
    expect((await firstRelease(await credential())).status).toBe(201);
    const upload = await signedPost('/api/packages/acme/hello/artifacts/', otherCred, {
      body: zip,
      headers: zipHeaders,
    });
    expect(upload.status).toBe(403);
    // Nor can it create acme/hello through the first-release path (the zip says acme/hello).
    const pending = await signedPost('/api/packages/artifacts/', otherCred, { body: zip, headers: zipHeaders });
    expect(pending.status).toBe(403);
  });

  it('refuses a credential after its 15 minutes', async () => {
    const cred = await credential();
    now += 15 * 60 * 1000 + 1000;
    const answer = await signedPost('/api/packages/artifacts/', cred, { body: zip, headers: zipHeaders });
    expect(answer.status).toBe(401);
    expect(answer.body['message']).toMatch(/expired/);
  });

  it('keeps keys and secrets out of its request log', async () => {
    const cred = await credential();
    await firstRelease(cred);
    const logged = JSON.stringify(pp.requests.map((r) => ({ ...r, url: r.redactedUrl })));
    expect(logged).not.toContain(cred.secret);
    expect(logged).not.toContain(cred.key);
  });
});
