import { type AttestFixture, startAttestFixture } from '@phpublish/testing/attest';
import { codeOf } from '@phpublish/testing/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { Redactor } from '../log/index.js';
import { httpDeps } from './deps.js';
import { obtainIdentityToken, readIdentityToken } from './id-token.js';

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture({ tsa: false });
});
afterAll(async () => {
  await fixture.close();
});

describe('obtainIdentityToken', () => {
  describe('when a GitHub Actions job has `id-token: write`', () => {
    it('requests a sigstore-audience token from the job token service and registers it as a secret', async () => {
      const run = fixture.gitHubRun();
      const identity = await obtainIdentityToken({
        platform: 'github-actions',
        env: run.env,
        tokenVariable: 'SIGSTORE_ID_TOKEN',
        http: httpDeps(run.deps, 5),
        redactor: run.deps.redactor,
      });
      expect(identity.claims).toMatchObject({
        aud: 'sigstore',
        iss: fixture.sandbox.githubIssuer.issuer,
        sub: 'repo:acme/hello:ref:refs/tags/v1.0.0',
        job_workflow_ref: 'acme/hello/.github/workflows/release.yml@refs/tags/v1.0.0',
      });
      expect(run.deps.redactor.redact(`x ${identity.token} y`)).toBe('x [redacted] y');
      expect(run.deps.redactor.redact(run.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']!)).toBe('[redacted]');
    });
  });

  describe('when the request token is not the job’s', () => {
    it('reports ATTEST_ID_TOKEN_REQUEST_FAILED', async () => {
      const run = fixture.gitHubRun();
      const code = await codeOf(
        obtainIdentityToken({
          platform: 'github-actions',
          env: { ...run.env, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'not-the-job-token-at-all' },
          tokenVariable: 'SIGSTORE_ID_TOKEN',
          http: httpDeps(run.deps, 5),
          redactor: run.deps.redactor,
        }),
      );
      expect(code).toBe('ATTEST_ID_TOKEN_REQUEST_FAILED');
    });
  });

  describe('when the token service keeps failing', () => {
    it('retries, then reports ATTEST_ID_TOKEN_REQUEST_FAILED', async () => {
      const run = fixture.gitHubRun();
      fixture.sandbox.githubIssuer.injectFault({ path: /idtoken$/, fault: { status: 503 }, times: 2 });
      const code = await codeOf(
        obtainIdentityToken({
          platform: 'github-actions',
          env: run.env,
          tokenVariable: 'SIGSTORE_ID_TOKEN',
          http: httpDeps(run.deps, 5),
          redactor: run.deps.redactor,
        }),
      );
      expect(code).toBe('ATTEST_ID_TOKEN_REQUEST_FAILED');
    });
  });

  describe('when a GitLab job declares the token', () => {
    it('reads it from the declared variable', async () => {
      const run = fixture.gitLabRun();
      const identity = await obtainIdentityToken({
        platform: 'gitlab-ci',
        env: run.env,
        tokenVariable: 'SIGSTORE_ID_TOKEN',
        http: httpDeps(run.deps, 5),
        redactor: run.deps.redactor,
      });
      expect(identity.claims).toMatchObject({
        project_path: 'acme/hello',
        ci_config_ref_uri: 'gitlab.com/acme/hello//.gitlab-ci.yml@refs/tags/v1.0.0',
      });
    });
  });
});

describe('readIdentityToken', () => {
  const token = (claims: Record<string, unknown>) =>
    `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJlLXBhcnQ`;

  it('refuses what is not a JWT, another audience, an expired token and missing claims', () => {
    const redactor = new Redactor();
    const read = (value: string) => {
      try {
        readIdentityToken('gitlab-ci', value, { redactor, nowMs: Date.UTC(2026, 0, 1) });
        return 'read';
      } catch (error) {
        return isPhpublishError(error) ? error.code : 'other';
      }
    };
    expect(read('not-a-jwt')).toBe('ATTEST_ID_TOKEN_INVALID');
    expect(read(token({ aud: 'gitlab' }))).toBe('ATTEST_ID_TOKEN_INVALID');
    expect(read(token({ aud: 'sigstore', exp: 1 }))).toBe('ATTEST_ID_TOKEN_INVALID');
    expect(read(token({ aud: 'sigstore', iss: 'x', sub: 'y' }))).toBe('ATTEST_ID_TOKEN_INVALID');
  });
});
