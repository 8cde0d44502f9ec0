import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  gitHubActionsClaims,
  type SandboxOidcIssuer,
  type SandboxPrivatePackagist,
  startSandboxOidcIssuer,
  startSandboxPrivatePackagist,
} from '@phpublish/sandbox';
import { codeOf } from '@phpublish/testing/errors';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { virtualClock } from '../clock.js';
import { isPhpublishError, type PhpublishError } from '../errors/index.js';
import { testHttpDeps } from '../http/testing/deps.js';
import { Redactor } from '../log/index.js';
import { PrivatePackagistClient } from './client.js';

const run = promisify(execFile);
const ORG = 'acme-org';
const dispatcher = new Agent();
let repo: PhpPackageRepo;
let zip: Buffer;
let otherZip: Buffer;
let clock: ReturnType<typeof virtualClock>;
let issuer: SandboxOidcIssuer;
let pp: SandboxPrivatePackagist;
let redactor: Redactor;
let client: PrivatePackagistClient;

beforeAll(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] });
  zip = (await run('git', ['archive', '--format=zip', 'v1.0.0'], { cwd: repo.dir, encoding: 'buffer' })).stdout;
  await repo.commit({ 'src/More.php': '<?php // more\n' }, 'More');
  otherZip = (await run('git', ['archive', '--format=zip', 'HEAD'], { cwd: repo.dir, encoding: 'buffer' })).stdout;
});
afterAll(async () => {
  await repo.cleanup();
  await dispatcher.close();
});

beforeEach(async () => {
  clock = virtualClock({ startMs: Date.now() });
  issuer = await startSandboxOidcIssuer({ clock });
  pp = await startSandboxPrivatePackagist({ githubIssuer: issuer, clock });
  pp.addTrustedPublisher(ORG, {
    packageName: 'acme/hello',
    owner: 'acme',
    repository: 'hello',
    workflow: 'release.yml',
  });
  redactor = new Redactor();
  client = new PrivatePackagistClient({ baseUrl: pp.url, http: { ...testHttpDeps(dispatcher), clock }, redactor });
});
afterEach(async () => {
  await pp.close();
  await issuer.close();
});

function ciToken(job: Parameters<typeof gitHubActionsClaims>[0] = { repository: 'acme/hello' }, audience?: string) {
  const token = issuer.mint(gitHubActionsClaims(job), { audience: audience ?? pp.audienceFor(ORG) });
  redactor.add(token);
  return token;
}

const exchange = (oidcToken: string, packageName = 'acme/hello') =>
  client.exchange({
    organization: ORG,
    packageName,
    oidcToken,
    audience: pp.audienceFor(ORG),
    workflow: 'acme/hello/.github/workflows/release.yml@refs/tags/v1.0.0',
  });

/** The error a promise rejects with; its text must not hold any secret the run saw. */
async function failure(promise: Promise<unknown>, secrets: string[] = []): Promise<PhpublishError> {
  try {
    await promise;
  } catch (error) {
    if (!isPhpublishError(error)) throw error;
    for (const secret of secrets) expect(error.format()).not.toContain(secret);
    return error;
  }
  throw new Error('expected a PhpublishError');
}

describe('when the client asks for the organisation audience', () => {
  it('returns it', async () => {
    expect(await client.audience(ORG)).toBe(pp.audienceFor(ORG));
  });

  it('falls back to the older endpoint when the organisation path is not known', async () => {
    pp.injectFault({ path: `/api/oidc/audience/${ORG}`, fault: { status: 404, body: '{"message":"Not Found"}' } });
    expect(await client.audience(ORG)).toBe(pp.instanceAudience);
  });

  it('reports PRIVATE_PACKAGIST_AUDIENCE_UNAVAILABLE for an unknown organisation', async () => {
    pp.injectFault({ path: '/api/oidc/audience', fault: { status: 404 } });
    expect(await codeOf(client.audience('nobody'))).toBe('PRIVATE_PACKAGIST_AUDIENCE_UNAVAILABLE');
  });

  it('reports PRIVATE_PACKAGIST_UNREACHABLE when nothing answers', async () => {
    const url = pp.url;
    await pp.close();
    const offline = new PrivatePackagistClient({
      baseUrl: url,
      http: {
        ...testHttpDeps(dispatcher, { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } }),
        clock,
      },
      redactor,
    });
    expect(await codeOf(offline.audience(ORG))).toBe('PRIVATE_PACKAGIST_UNREACHABLE');
    pp = await startSandboxPrivatePackagist({ githubIssuer: issuer, clock });
  });
});

describe('when the client exchanges the OIDC token', () => {
  it('returns a credential and registers its key and secret as secrets', async () => {
    const credential = await exchange(ciToken());
    expect(redactor.redact(`${credential.key} ${credential.secret}`)).toBe('[redacted] [redacted]');
  });

  it('reports PRIVATE_PACKAGIST_NO_TRUSTED_PUBLISHER, naming the workflow, for another workflow', async () => {
    const token = ciToken({ repository: 'acme/hello', workflowPath: '.github/workflows/ci.yml' });
    const error = await failure(exchange(token), [token]);
    expect(error.code).toBe('PRIVATE_PACKAGIST_NO_TRUSTED_PUBLISHER');
    expect(error.format()).toContain('acme/hello/.github/workflows/release.yml');
  });

  it('reports PRIVATE_PACKAGIST_AUDIENCE_REJECTED for a token minted for another audience', async () => {
    const token = ciToken(undefined, 'sigstore');
    expect((await failure(exchange(token), [token])).code).toBe('PRIVATE_PACKAGIST_AUDIENCE_REJECTED');
  });

  it('reports PRIVATE_PACKAGIST_TOKEN_REJECTED for an expired token', async () => {
    const token = ciToken();
    clock.advance(10 * 60 * 1000);
    expect((await failure(exchange(token), [token])).code).toBe('PRIVATE_PACKAGIST_TOKEN_REJECTED');
  });
});

describe('when the client publishes the artifact', () => {
  const input = { packageName: 'acme/hello', fileName: 'acme-hello-1.0.0.zip', zip: new Uint8Array() };

  it('creates the artifact package on the first release, then adds versions to it', async () => {
    const credential = await exchange(ciToken());
    expect(await client.publishArtifact(credential, { ...input, zip })).toBe('package-created');
    expect(
      await client.publishArtifact(credential, { ...input, zip: otherZip, fileName: 'acme-hello-1.1.0.zip' }),
    ).toBe('uploaded');
    expect(pp.versions(ORG, 'acme/hello').map((v) => v.version)).toEqual(['1.0.0', '1.1.0']);
  });

  it('reports PRIVATE_PACKAGIST_UPLOAD_FAILED when the version exists with another zip', async () => {
    const credential = await exchange(ciToken());
    await client.publishArtifact(credential, { ...input, zip });
    const error = await failure(client.publishArtifact(credential, { ...input, zip: otherZip }), [
      credential.key,
      credential.secret,
    ]);
    expect(error.code).toBe('PRIVATE_PACKAGIST_UPLOAD_FAILED');
    expect(error.format()).toContain('HTTP 409');
  });

  it('reports PRIVATE_PACKAGIST_SIGNATURE_REJECTED once the credential has expired', async () => {
    const credential = await exchange(ciToken());
    clock.advance(16 * 60 * 1000);
    const error = await failure(client.publishArtifact(credential, { ...input, zip }), [
      credential.key,
      credential.secret,
    ]);
    expect(error.code).toBe('PRIVATE_PACKAGIST_SIGNATURE_REJECTED');
  });

  it('reports PRIVATE_PACKAGIST_SIGNATURE_REJECTED for a credential whose secret is wrong', async () => {
    const credential = await exchange(ciToken());
    const error = await failure(client.publishArtifact({ ...credential, secret: '0'.repeat(64) }, { ...input, zip }));
    expect(error.code).toBe('PRIVATE_PACKAGIST_SIGNATURE_REJECTED');
  });

  it("cannot publish another package with a package's credential", async () => {
    pp.addTrustedPublisher(ORG, {
      packageName: 'acme/other',
      owner: 'acme',
      repository: 'hello',
      workflow: 'release.yml',
    });
    const forOther = await exchange(ciToken(), 'acme/other');
    expect(await codeOf(client.publishArtifact(forOther, { ...input, zip }))).toBe('PRIVATE_PACKAGIST_UPLOAD_FAILED');
    expect(pp.versions(ORG, 'acme/hello')).toEqual([]);
  });
});

describe('when Private Packagist fails on its side, or answers a success with something else', () => {
  const input = { packageName: 'acme/hello', fileName: 'acme-hello-1.0.0.zip' };

  it('reports a 5xx that outlasts the retries as PRIVATE_PACKAGIST_SERVER_ERROR, not as a refused token or zip', async () => {
    pp.injectFault({ path: /\/token-exchange\//, times: 4, fault: { status: 502, body: '<html>Bad Gateway</html>' } });
    const token = ciToken();
    const exchangeError = await failure(exchange(token), [token]);
    expect(exchangeError.code).toBe('PRIVATE_PACKAGIST_SERVER_ERROR');
    expect(exchangeError.format()).toContain('HTTP 502: Bad Gateway');
    pp.clearFaults(); // a POST is not resent after a 502: the other three are unused

    const credential = await exchange(ciToken());
    pp.injectFault({ path: /\/artifacts\/$/, times: 4, fault: { status: 503 } });
    const uploadError = await failure(client.publishArtifact(credential, { ...input, zip }), [credential.secret]);
    expect(uploadError.code).toBe('PRIVATE_PACKAGIST_SERVER_ERROR');
    expect(pp.versions(ORG, 'acme/hello')).toEqual([]);
  });

  it('reports a 200 that is not a credential, or an upload answer without an id, as REMOTE_ANSWER_MALFORMED', async () => {
    pp.injectFault({ path: /\/token-exchange\//, when: 'after', fault: { status: 200, body: '<html>login</html>' } });
    expect((await failure(exchange(ciToken()))).code).toBe('REMOTE_ANSWER_MALFORMED');

    const credential = await exchange(ciToken());
    pp.injectFault({ path: '/api/packages/artifacts/', fault: { status: 201, body: '{"ok":true}' } });
    const error = await failure(client.publishArtifact(credential, { ...input, zip }), [credential.secret]);
    expect(error.code).toBe('REMOTE_ANSWER_MALFORMED');
    expect(error.format()).toContain('no artifact `id`');
    expect(pp.versions(ORG, 'acme/hello')).toEqual([]);
  });
});
