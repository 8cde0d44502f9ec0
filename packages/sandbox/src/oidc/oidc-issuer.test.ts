import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, verifyJwt } from './jwt.js';
import { type SandboxOidcIssuer, startSandboxOidcIssuer } from './oidc-issuer.js';

let issuer: SandboxOidcIssuer;
beforeAll(async () => {
  issuer = await startSandboxOidcIssuer();
});
afterAll(async () => {
  await issuer.close();
});

const getJson = async (url: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const now = () => Math.floor(Date.now() / 1000);

describe('sandbox OIDC issuer', () => {
  describe('when a relying party discovers it', () => {
    it('serves the configuration and a JWKS that verifies its tokens', async () => {
      const { body: discovery } = await getJson(`${issuer.url}/.well-known/openid-configuration`);
      expect(discovery).toMatchObject({ issuer: issuer.issuer, jwks_uri: issuer.jwksUrl });
      const { body: jwks } = await getJson(issuer.jwksUrl);
      const token = issuer.mint({ sub: 'x' }, { audience: 'sigstore' });
      expect(verifyJwt(token, jwks as never, now())).toMatchObject({ iss: issuer.issuer, aud: 'sigstore', sub: 'x' });
    });
  });

  describe('when a GitHub Actions job asks ACTIONS_ID_TOKEN_REQUEST_URL for a token', () => {
    it('answers the job’s bearer request token with a token of GitHub’s claim set, for the asked audience', async () => {
      const job = issuer.gitHubActionsJob({ repository: 'acme/hello' });
      const url = `${job.env['ACTIONS_ID_TOKEN_REQUEST_URL']}&audience=sigstore`;
      const { status, body } = await getJson(url, {
        authorization: `Bearer ${job.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}`,
      });
      expect(status).toBe(200);
      const { header, claims } = decodeJwt(String(body['value']));
      expect(header.alg).toBe('RS256');
      expect(claims).toMatchObject({
        iss: issuer.issuer,
        aud: 'sigstore',
        sub: 'repo:acme/hello:ref:refs/tags/v1.0.0',
        repository: 'acme/hello',
        repository_owner: 'acme',
        workflow_ref: 'acme/hello/.github/workflows/release.yml@refs/tags/v1.0.0',
        job_workflow_ref: 'acme/hello/.github/workflows/release.yml@refs/tags/v1.0.0',
        ref: 'refs/tags/v1.0.0',
        event_name: 'push',
        run_attempt: '1',
        runner_environment: 'github-hosted',
      });
      for (const name of ['repository_id', 'repository_owner_id', 'sha', 'run_id', 'exp', 'iat', 'nbf', 'jti']) {
        expect(claims).toHaveProperty(name);
      }
    });

    it('uses GitHub’s default audience when none is asked for, and refuses a missing or wrong request token', async () => {
      const job = issuer.gitHubActionsJob({ repository: 'acme/hello' });
      const url = String(job.env['ACTIONS_ID_TOKEN_REQUEST_URL']);
      const { body } = await getJson(url, { authorization: `Bearer ${job.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}` });
      expect(decodeJwt(String(body['value'])).claims['aud']).toBe('https://github.com/acme');
      expect((await getJson(url)).status).toBe(401);
      expect((await getJson(url, { authorization: 'Bearer guessed' })).status).toBe(401);
    });
  });

  describe('when a GitLab job declares `id_tokens:`', () => {
    it('puts a token of GitLab’s claim set in the variable', () => {
      const job = issuer.gitLabCiJob({ projectPath: 'acme/hello' });
      const { claims } = decodeJwt(String(job.env['SIGSTORE_ID_TOKEN']));
      expect(claims).toMatchObject({
        aud: 'sigstore',
        project_path: 'acme/hello',
        namespace_path: 'acme',
        ref: 'v1.0.0',
        ref_type: 'tag',
        ci_config_ref_uri: 'gitlab.com/acme/hello//.gitlab-ci.yml@refs/tags/v1.0.0',
        sub: 'project_path:acme/hello:ref_type:tag:ref:v1.0.0',
      });
      for (const name of ['pipeline_id', 'job_id', 'project_id', 'sha', 'ci_config_sha', 'runner_id']) {
        expect(claims).toHaveProperty(name);
      }
      expect(job.env).toMatchObject({ GITLAB_CI: 'true', CI_PROJECT_PATH: 'acme/hello', CI_COMMIT_TAG: 'v1.0.0' });
    });
  });
});
