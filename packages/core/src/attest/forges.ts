import type { AttestConfig } from '../config/attest-schema.js';
import type { HttpDeps } from '../http/index.js';
import type { Redactor } from '../log/index.js';
import type { Env } from './ci.js';
import { type GitHubRepositoryApi, gitHubAuthHeaders } from './github-store.js';
import { type GitLabProjectApi, gitLabAuthHeaders } from './gitlab-store.js';

/** GITHUB_TOKEN (what workflows pass) or GH_TOKEN (what the gh CLI reads); registered as a secret. */
export function gitHubToken(env: Env, redactor: Redactor): string | undefined {
  const token = env['GITHUB_TOKEN']?.trim() || env['GH_TOKEN']?.trim() || undefined;
  redactor.add(token);
  return token;
}

/** GITLAB_TOKEN (PRIVATE-TOKEN) when set, else the job's CI_JOB_TOKEN (JOB-TOKEN); registered as a secret. */
export function gitLabToken(env: Env, redactor: Redactor): { kind: 'job' | 'private'; value: string } | undefined {
  const personal = env['GITLAB_TOKEN']?.trim();
  const job = env['CI_JOB_TOKEN']?.trim();
  redactor.add(personal);
  redactor.add(job);
  if (personal) return { kind: 'private', value: personal };
  return job ? { kind: 'job', value: job } : undefined;
}

/** The GitHub API of the repository the workflow runs in. */
export function gitHubApiFor(input: {
  env: Env;
  config: Pick<AttestConfig, 'githubApiUrl'>;
  token: string;
  http: HttpDeps;
  redactor: Redactor;
}): GitHubRepositoryApi {
  return {
    baseUrl: input.config.githubApiUrl ?? input.env['GITHUB_API_URL'] ?? 'https://api.github.com',
    repository: input.env['GITHUB_REPOSITORY'] ?? '',
    authHeaders: gitHubAuthHeaders(input.token),
    http: input.http,
    redactor: input.redactor,
  };
}

/** The GitLab API of the project the pipeline runs in. */
export function gitLabApiFor(input: {
  env: Env;
  config: Pick<AttestConfig, 'gitlabApiUrl'>;
  token: { kind: 'job' | 'private'; value: string };
  http: HttpDeps;
  redactor: Redactor;
}): GitLabProjectApi {
  return {
    baseUrl: input.config.gitlabApiUrl ?? input.env['CI_API_V4_URL'] ?? 'https://gitlab.com/api/v4',
    project: input.env['CI_PROJECT_PATH'] ?? '',
    authHeaders: gitLabAuthHeaders(input.token),
    http: input.http,
    redactor: input.redactor,
  };
}
