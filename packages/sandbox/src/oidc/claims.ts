import type { JwtClaims } from './jwt.js';

/** What a GitHub Actions job that releases a tag looks like, with the values a test cares about. */
export interface GitHubActionsJob {
  /** `owner/name`. */
  repository: string;
  /** Path of the workflow file in the repository, e.g. `.github/workflows/release.yml`. */
  workflowPath?: string;
  /** The git ref the workflow runs for; a tag push by default. */
  ref?: string;
  sha?: string;
  eventName?: string;
  /**
   * `owner/name/path@ref` of the workflow that runs the job when it is a reusable workflow in another
   * repository; the caller's own workflow by default (which is what Fulcio puts in the SAN).
   */
  jobWorkflowRef?: string;
  repositoryId?: string;
  repositoryOwnerId?: string;
  runId?: string;
  runAttempt?: string;
  runnerEnvironment?: 'github-hosted' | 'self-hosted';
  visibility?: 'public' | 'private' | 'internal';
}

/** The claims GitHub's token service puts in an Actions ID token (without iss/aud/times, added when minting). */
export function gitHubActionsClaims(job: GitHubActionsJob): JwtClaims {
  const ref = job.ref ?? 'refs/tags/v1.0.0';
  const sha = job.sha ?? 'a'.repeat(40);
  const workflowRef = `${job.repository}/${job.workflowPath ?? '.github/workflows/release.yml'}@${ref}`;
  const owner = job.repository.split('/')[0]!;
  const refType = ref.startsWith('refs/tags/') ? 'tag' : 'branch';
  return {
    sub: `repo:${job.repository}:ref:${ref}`,
    ref,
    ref_type: refType,
    ref_protected: 'false',
    sha,
    repository: job.repository,
    repository_owner: owner,
    repository_id: job.repositoryId ?? '100200300',
    repository_owner_id: job.repositoryOwnerId ?? '400500',
    repository_visibility: job.visibility ?? 'public',
    actor: 'octocat',
    actor_id: '583231',
    workflow: 'Release',
    workflow_ref: workflowRef,
    workflow_sha: sha,
    job_workflow_ref: job.jobWorkflowRef ?? workflowRef,
    job_workflow_sha: sha,
    event_name: job.eventName ?? 'push',
    head_ref: '',
    base_ref: '',
    run_id: job.runId ?? '7000000001',
    run_number: '12',
    run_attempt: job.runAttempt ?? '1',
    runner_environment: job.runnerEnvironment ?? 'github-hosted',
  };
}

/** What a GitLab CI job that releases a tag looks like. */
export interface GitLabCiJob {
  /** `group/project` (or deeper). */
  projectPath: string;
  /** Host of the GitLab instance as it appears in `ci_config_ref_uri`; gitlab.com by default. */
  host?: string;
  configPath?: string;
  /** Tag or branch name (not the full ref). */
  ref?: string;
  refType?: 'tag' | 'branch';
  sha?: string;
  projectId?: string;
  namespaceId?: string;
  pipelineId?: string;
  pipelineSource?: string;
  jobId?: string;
  runnerId?: number;
  runnerEnvironment?: 'gitlab-hosted' | 'self-hosted';
  visibility?: 'public' | 'private' | 'internal';
}

/** The claims GitLab puts in an `id_tokens:` token (without iss/aud/times). */
export function gitLabCiClaims(job: GitLabCiJob): JwtClaims {
  const ref = job.ref ?? 'v1.0.0';
  const refType = job.refType ?? 'tag';
  const refPath = `refs/${refType === 'tag' ? 'tags' : 'heads'}/${ref}`;
  const sha = job.sha ?? 'b'.repeat(40);
  const namespacePath = job.projectPath.split('/').slice(0, -1).join('/');
  const host = job.host ?? 'gitlab.com';
  return {
    sub: `project_path:${job.projectPath}:ref_type:${refType}:ref:${ref}`,
    namespace_id: job.namespaceId ?? '72',
    namespace_path: namespacePath,
    project_id: job.projectId ?? '4200',
    project_path: job.projectPath,
    project_visibility: job.visibility ?? 'public',
    user_id: '1',
    user_login: 'release-bot',
    user_access_level: 'maintainer',
    pipeline_id: job.pipelineId ?? '900100',
    pipeline_source: job.pipelineSource ?? 'push',
    job_id: job.jobId ?? '5550001',
    ref,
    ref_type: refType,
    ref_path: refPath,
    ref_protected: 'true',
    runner_id: job.runnerId ?? 12270807,
    runner_environment: job.runnerEnvironment ?? 'gitlab-hosted',
    sha,
    ci_config_ref_uri: `${host}/${job.projectPath}//${job.configPath ?? '.gitlab-ci.yml'}@${refPath}`,
    ci_config_sha: sha,
  };
}
