import { gitHubActionsClaims, gitLabCiClaims } from '@phpublish/sandbox';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { testHttpDeps } from '../http/testing/deps.js';
import { REDACTED, Redactor } from '../log/index.js';
import { serverMessage } from './forge-http.js';
import { gitHubApiFor, gitHubToken, gitLabApiFor, gitLabToken } from './forges.js';
import { gitHubActionsProvenance, gitLabCiProvenance } from './provenance.js';

const SHA = 'c'.repeat(40);
// Only carried along: nothing here sends a request.
const agent = new Agent();
const http = testHttpDeps(agent);
afterAll(() => agent.close());

describe('when the forge token comes from the job’s environment', () => {
  it('takes GITHUB_TOKEN first, else GH_TOKEN (what the gh CLI reads), and redacts the one it takes', () => {
    const redactor = new Redactor();
    expect(gitHubToken({ GITHUB_TOKEN: 'ghs_from-workflow-1', GH_TOKEN: 'ghp_for-gh-cli-2' }, redactor)).toBe(
      'ghs_from-workflow-1',
    );
    expect(gitHubToken({ GITHUB_TOKEN: '  ', GH_TOKEN: ' ghp_for-gh-cli-2\n' }, redactor)).toBe('ghp_for-gh-cli-2');
    expect(redactor.redact('token ghp_for-gh-cli-2')).toBe(`token ${REDACTED}`);
    expect(gitHubToken({ GITHUB_TOKEN: '' }, new Redactor())).toBeUndefined();
  });

  it('takes GITLAB_TOKEN as a PRIVATE-TOKEN, else the job’s CI_JOB_TOKEN, and redacts both', () => {
    const redactor = new Redactor();
    const env = { GITLAB_TOKEN: 'glpat-personal-token', CI_JOB_TOKEN: 'glcbt-job-token-1' };
    expect(gitLabToken(env, redactor)).toEqual({ kind: 'private', value: 'glpat-personal-token' });
    expect(redactor.redact('glpat-personal-token glcbt-job-token-1')).toBe(`${REDACTED} ${REDACTED}`);
    expect(gitLabToken({ GITLAB_TOKEN: ' ', CI_JOB_TOKEN: 'glcbt-job-token-1' }, new Redactor())).toEqual({
      kind: 'job',
      value: 'glcbt-job-token-1',
    });
    expect(gitLabToken({}, new Redactor())).toBeUndefined();
  });

  it('sends a GitLab token under the header its kind needs', () => {
    const redactor = new Redactor();
    const env = { CI_PROJECT_PATH: 'acme/hello' };
    const job = gitLabApiFor({ env, config: {}, token: { kind: 'job', value: 'glcbt-1' }, http, redactor });
    const personal = gitLabApiFor({ env, config: {}, token: { kind: 'private', value: 'glpat-1' }, http, redactor });
    expect(job.authHeaders).toEqual({ 'job-token': 'glcbt-1' });
    expect(personal.authHeaders).toEqual({ 'private-token': 'glpat-1' });
  });
});

describe('when choosing the forge API a release talks to', () => {
  const redactor = new Redactor();

  it('prefers the configured URL, then the job’s variable, then the public forge', () => {
    const env = { GITHUB_API_URL: 'https://ghe.example.org/api/v3', GITHUB_REPOSITORY: 'acme/hello' };
    const token = 'ghs_token';
    expect(
      gitHubApiFor({ env, config: { githubApiUrl: 'http://127.0.0.1:9/api' }, token, http, redactor }),
    ).toMatchObject({ baseUrl: 'http://127.0.0.1:9/api', repository: 'acme/hello' });
    expect(gitHubApiFor({ env, config: {}, token, http, redactor }).baseUrl).toBe('https://ghe.example.org/api/v3');
    expect(gitHubApiFor({ env: {}, config: {}, token, http, redactor })).toMatchObject({
      baseUrl: 'https://api.github.com',
      repository: '',
    });

    const gitlab = { kind: 'job' as const, value: 'glcbt-1' };
    const gitLabEnv = { CI_API_V4_URL: 'https://gitlab.example.org/api/v4', CI_PROJECT_PATH: 'acme/hello' };
    expect(
      gitLabApiFor({ env: gitLabEnv, config: { gitlabApiUrl: 'http://127.0.0.1:9/v4' }, token: gitlab, http, redactor })
        .baseUrl,
    ).toBe('http://127.0.0.1:9/v4');
    expect(gitLabApiFor({ env: gitLabEnv, config: {}, token: gitlab, http, redactor })).toMatchObject({
      baseUrl: 'https://gitlab.example.org/api/v4',
      project: 'acme/hello',
    });
    expect(gitLabApiFor({ env: {}, config: {}, token: gitlab, http, redactor })).toMatchObject({
      baseUrl: 'https://gitlab.com/api/v4',
      project: '',
    });
  });
});

describe('when a forge refuses a request', () => {
  const answer = (status: number, body: string) => ({ status, headers: {}, body, attempts: 1 });

  it.each([
    ['GitHub’s {"message"}', answer(422, '{"message":"Validation Failed","errors":[]}'), 'Validation Failed'],
    ['GitLab’s {"error"}', answer(403, '{"error":"insufficient_scope"}'), 'insufficient_scope'],
    [
      'GitLab’s {"message": {...}}',
      answer(400, '{"message":{"name":["has already been taken"]}}'),
      '{"name":["has already been taken"]}',
    ],
    ['JSON without a message', answer(500, '{"oops":true}'), '{"oops":true}'],
    ['an HTML page', answer(502, '<html>Bad gateway</html>\n<body>…</body>'), '<html>Bad gateway</html>'],
    ['an empty body', answer(503, ''), 'HTTP 503'],
  ])('says what the answer said, on one line: %s', (_, response, expected) => {
    expect(serverMessage(response, new Redactor())).toBe(expected);
  });

  it('keeps the message short and without any secret the answer echoes', () => {
    const redactor = new Redactor();
    redactor.add('ghs_secret-token-value');
    const long = `bad token ghs_secret-token-value ${'x'.repeat(400)}`;
    const message = serverMessage(answer(401, JSON.stringify({ message: long })), redactor);
    expect(message).not.toContain('ghs_secret-token-value');
    expect(message.length).toBeLessThanOrEqual(200);
  });
});

describe('when the CI runs on a self-hosted server, with fewer variables set', () => {
  it('names a GitHub Enterprise server without a trailing slash, and leaves out a runner environment the token lacks', () => {
    const claims: Record<string, unknown> = { ...gitHubActionsClaims({ repository: 'acme/hello', sha: SHA }) };
    delete claims['runner_environment'];
    const predicate = gitHubActionsProvenance(claims, { GITHUB_SERVER_URL: 'https://ghe.example.org//' });
    expect(predicate.buildDefinition.externalParameters).toMatchObject({
      workflow: { repository: 'https://ghe.example.org/acme/hello' },
    });
    expect(predicate.buildDefinition.internalParameters).toEqual({
      github: expect.not.objectContaining({ runner_environment: expect.anything() }),
    });
    expect(predicate.runDetails.builder.id).toMatch(/^https:\/\/ghe\.example\.org\/acme\/hello\//);
  });

  it('describes a GitLab job with no runner details and no start time, from the token and the defaults', () => {
    const claims: Record<string, unknown> = { ...gitLabCiClaims({ projectPath: 'acme/hello', sha: SHA, jobId: '9' }) };
    delete claims['runner_id'];
    const predicate = gitLabCiProvenance(
      claims,
      { CI_SERVER_URL: 'https://gitlab.example.org/', CI_RUNNER_ID: '31' },
      new Date(Date.UTC(2026, 0, 1, 0, 5, 0, 123)),
    );
    expect(predicate.buildDefinition.buildType).toBe(
      'https://gitlab.com/gitlab-org/gitlab-runner/-/blob/vunknown/PROVENANCE.md',
    );
    expect(predicate.buildDefinition.externalParameters).toEqual({
      source: 'https://gitlab.example.org/acme/hello',
      entryPoint: 'release',
      variables: {},
    });
    expect(predicate.buildDefinition.internalParameters).toEqual({ name: '', architecture: '', job: '9' });
    expect(predicate.runDetails.builder).toEqual({
      id: 'https://gitlab.example.org/acme/hello/-/runners/31',
      version: { 'gitlab-runner': 'unknown' },
    });
    // No startedOn at all rather than an empty one; finishedOn in whole seconds.
    expect(predicate.runDetails.metadata).toEqual({
      invocationId: 'https://gitlab.example.org/acme/hello/-/jobs/9',
      finishedOn: '2026-01-01T00:05:00Z',
    });
  });

  it('names the runner of the token over the job’s variable, and a "v" runner version once', () => {
    const claims = gitLabCiClaims({ projectPath: 'acme/hello', sha: SHA, runnerId: 7 });
    const predicate = gitLabCiProvenance(
      claims,
      {
        CI_RUNNER_ID: '31',
        CI_RUNNER_VERSION: 'v17.2.1',
        CI_RUNNER_DESCRIPTION: 'shared',
        CI_RUNNER_EXECUTABLE_ARCH: 'linux/amd64',
      },
      new Date(0),
    );
    expect(predicate.runDetails.builder.id).toBe('https://gitlab.com/acme/hello/-/runners/7');
    expect(predicate.buildDefinition.buildType).toContain('/blob/v17.2.1/PROVENANCE.md');
    expect(predicate.buildDefinition.internalParameters).toMatchObject({ name: 'shared', architecture: 'linux/amd64' });
  });
});
