/**
 * What the CI's token service and the Sigstore services make a release see when they fail or answer
 * nonsense: a coded error naming the service and where it is, never the token. Against the sandbox
 * token services, Fulcio, Rekor and timestamp authority.
 */
import { type AttestFixture, type Run, SUBJECTS, startAttestFixture } from '@phpublish/testing/attest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhpublishError } from '../errors/index.js';
import { httpDeps } from './deps.js';
import { type IdentityToken, obtainIdentityToken } from './id-token.js';
import { type SigstoreEndpoints, signStatement } from './sign.js';
import { provenanceStatement } from './statement.js';
import { toInTotoSubjects } from './subjects.js';

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture({ tsa: true });
});
afterAll(async () => {
  await fixture.close();
});

async function rejection(promise: Promise<unknown>): Promise<PhpublishError> {
  try {
    await promise;
  } catch (error) {
    return error as PhpublishError;
  }
  throw new Error('it succeeded');
}

const identityOf = (run: Run, env = run.env) =>
  obtainIdentityToken({
    platform: run.env['GITLAB_CI'] ? 'gitlab-ci' : 'github-actions',
    env,
    tokenVariable: 'SIGSTORE_ID_TOKEN',
    http: httpDeps(run.deps, 5),
    redactor: run.deps.redactor,
  });

const STATEMENT = provenanceStatement(toInTotoSubjects(SUBJECTS), {
  buildDefinition: { buildType: 'https://example.org/build', externalParameters: {} },
  runDetails: { builder: { id: 'https://example.org/builder' } },
});

function sign(run: Run, identity: IdentityToken, endpoints: Partial<SigstoreEndpoints> = {}) {
  return signStatement({
    statement: STATEMENT,
    identity,
    endpoints: { fulcioUrl: run.config.fulcioUrl, rekorUrl: run.config.rekorUrl!, ...endpoints },
    timeoutMs: 5000,
    retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 1000 },
    redactor: run.deps.redactor,
  });
}

describe('when the job’s token service answers something unusable', () => {
  it.each([
    ['a request URL that is not a URL', { ACTIONS_ID_TOKEN_REQUEST_URL: 'not a url' }, undefined, 'is not a URL'],
    ['a 200 without a token', {}, { status: 200, body: '{"count":1}' }, 'the answer has no token'],
    ['a 200 that is not JSON', {}, { status: 200, body: '<html>proxy login</html>' }, 'the answer has no token'],
    ['a refusal without a message', {}, { status: 401, body: 'Unauthorized' }, 'no token issued'],
  ])('reports %s as ATTEST_ID_TOKEN_REQUEST_FAILED, saying why', async (_, envChange, fault, reason) => {
    const run = fixture.gitHubRun();
    if (fault) fixture.sandbox.githubIssuer.injectFault({ path: /idtoken$/, fault });
    const error = await rejection(identityOf(run, { ...run.env, ...envChange }));
    expect(error.code).toBe('ATTEST_ID_TOKEN_REQUEST_FAILED');
    expect(error.message).toContain(reason);
  });

  it('reports a token service that cannot be reached, without the request token', async () => {
    const run = fixture.gitHubRun();
    fixture.sandbox.githubIssuer.injectFault({ path: /idtoken$/, fault: { reset: true }, times: 2 });
    const error = await rejection(identityOf(run));
    expect(error.code).toBe('ATTEST_ID_TOKEN_REQUEST_FAILED');
    expect(error.message).not.toContain(run.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']!);
  });
});

describe('when a Sigstore service fails while signing', () => {
  it('names Fulcio and its URL when the certificate cannot be had', async () => {
    const run = fixture.gitHubRun();
    const identity = await identityOf(run);
    fixture.sandbox.sigstore.injectFault('fulcio', { path: /signingCert$/, fault: { status: 500 }, times: 2 });
    const error = await rejection(sign(run, identity));
    expect(error.code).toBe('ATTEST_SIGNING_FAILED');
    expect(error.message).toContain('Fulcio');
    expect(error.message).toContain(run.config.fulcioUrl);
  });

  it('names the timestamp authority and its URL when it fails, for an instance without a log', async () => {
    const run = fixture.gitHubRun();
    const identity = await identityOf(run);
    const tsaUrl = run.config.tsaUrl!;
    fixture.sandbox.sigstore.injectFault('tsa', { path: /./, fault: { status: 500 }, times: 2 });
    const error = await rejection(sign(run, identity, { rekorUrl: undefined, tsaUrl }));
    expect(error.code).toBe('ATTEST_SIGNING_FAILED');
    expect(error.message).toContain('the timestamp authority');
    expect(error.message).toContain(tsaUrl);
  });

  it('reads a GitLab token sigstore-js cannot parse as ATTEST_ID_TOKEN_INVALID for GitLab CI, without the token', async () => {
    const run = fixture.gitLabRun();
    const identity = await identityOf(run);
    const [header, , signature] = identity.token.split('.');
    const unreadable = `${header}.bm90LWpzb24.${signature}`;
    run.deps.redactor.add(unreadable);
    const error = await rejection(sign(run, { ...identity, token: unreadable }));
    expect(error.code).toBe('ATTEST_ID_TOKEN_INVALID');
    expect(error.message).toContain('GitLab CI');
    expect(error.message).not.toContain('bm90LWpzb24');
  });
});

describe('when a private GitLab project would sign into the public log', () => {
  it('refuses with ATTEST_PRIVATE_PUBLIC_LOG naming the project, before anything is sent', async () => {
    const run = fixture.gitLabRun({ visibility: 'private' });
    const identity = await identityOf(run);
    const sent = () => Object.values(fixture.sandbox.sigstore.requests).flat().length;
    const before = sent();
    const error = await rejection(sign(run, identity));
    expect(error.code).toBe('ATTEST_PRIVATE_PUBLIC_LOG');
    expect(error.message).toContain('acme/hello');
    expect(error.message).toContain('private');
    expect(sent()).toBe(before);
  });
});
