import type { CiPlatform, Env } from './ci.js';
import { claim, type IdentityClaims } from './id-token.js';
import type { ProvenancePredicate } from './statement.js';

/** GitHub's own buildType, the one actions/attest-build-provenance writes and `gh attestation verify` expects. */
export const GITHUB_ACTIONS_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';

/**
 * The GitHub Actions workflow buildType (actions/buildtypes workflow/v1), made the way actions/attest
 * makes it: from the ID token's claims, which Fulcio also puts in the certificate, so the statement and
 * the signing identity cannot disagree. `job_workflow_ref` exists only in the token.
 */
export function gitHubActionsProvenance(claims: IdentityClaims, env: Env): ProvenancePredicate {
  const server = (env['GITHUB_SERVER_URL'] || 'https://github.com').replace(/\/+$/, '');
  const repository = claim(claims, 'repository');
  // owner/repo/.github/workflows/release.yml@refs/tags/v1.0.0 → path and ref (a ref may itself contain '@').
  const [path, ...refParts] = claim(claims, 'workflow_ref').replace(`${repository}/`, '').split('@');
  const internal: Record<string, string> = {
    event_name: claim(claims, 'event_name'),
    repository_id: claim(claims, 'repository_id'),
    repository_owner_id: claim(claims, 'repository_owner_id'),
  };
  const runnerEnvironment = claim(claims, 'runner_environment');
  if (runnerEnvironment) internal['runner_environment'] = runnerEnvironment;
  return {
    buildDefinition: {
      buildType: GITHUB_ACTIONS_BUILD_TYPE,
      externalParameters: { workflow: { ref: refParts.join('@'), repository: `${server}/${repository}`, path } },
      internalParameters: { github: internal },
      resolvedDependencies: [
        { uri: `git+${server}/${repository}@${claim(claims, 'ref')}`, digest: { gitCommit: claim(claims, 'sha') } },
      ],
    },
    runDetails: {
      builder: { id: `${server}/${claim(claims, 'job_workflow_ref')}` },
      metadata: {
        invocationId: `${server}/${repository}/actions/runs/${claim(claims, 'run_id')}/attempts/${claim(claims, 'run_attempt')}`,
      },
    },
  };
}

/** Job variables that describe the build and are never secret; the only ones the statement repeats. */
const GITLAB_PUBLIC_VARIABLES = [
  'CI_COMMIT_TAG',
  'CI_COMMIT_REF_NAME',
  'CI_CONFIG_PATH',
  'CI_PIPELINE_ID',
  'CI_PIPELINE_SOURCE',
  'CI_JOB_NAME',
] as const;

/**
 * The GitLab Runner's SLSA v1 provenance shape (gitlab-runner PROVENANCE.md): identity values from the
 * ID token (as in the certificate), runner details from the job's predefined variables.
 */
export function gitLabCiProvenance(claims: IdentityClaims, env: Env, finishedOn: Date): ProvenancePredicate {
  const server = (env['CI_SERVER_URL'] || 'https://gitlab.com').replace(/\/+$/, '');
  const projectUrl = `${server}/${claim(claims, 'project_path')}`;
  const runnerVersion = env['CI_RUNNER_VERSION'] || 'unknown';
  const variables: Record<string, string> = {};
  for (const name of GITLAB_PUBLIC_VARIABLES) {
    const value = env[name];
    if (value) variables[name] = value;
  }
  const runnerId = claim(claims, 'runner_id') || env['CI_RUNNER_ID'] || 'unknown';
  const startedOn = env['CI_JOB_STARTED_AT'];
  return {
    buildDefinition: {
      buildType: `https://gitlab.com/gitlab-org/gitlab-runner/-/blob/v${runnerVersion.replace(/^v/, '')}/PROVENANCE.md`,
      externalParameters: {
        source: projectUrl,
        entryPoint: env['CI_JOB_NAME'] || 'release',
        variables,
      },
      internalParameters: {
        name: env['CI_RUNNER_DESCRIPTION'] || '',
        architecture: env['CI_RUNNER_EXECUTABLE_ARCH'] || '',
        job: claim(claims, 'job_id'),
      },
      resolvedDependencies: [{ uri: projectUrl, digest: { gitCommit: claim(claims, 'sha') } }],
    },
    runDetails: {
      builder: { id: `${projectUrl}/-/runners/${runnerId}`, version: { 'gitlab-runner': runnerVersion } },
      metadata: {
        invocationId: `${projectUrl}/-/jobs/${claim(claims, 'job_id')}`,
        ...(startedOn ? { startedOn } : {}),
        finishedOn: finishedOn.toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    },
  };
}

/** The predicate for the CI the token comes from. */
export function provenanceFor(platform: CiPlatform, claims: IdentityClaims, env: Env, now: Date): ProvenancePredicate {
  return platform === 'github-actions' ? gitHubActionsProvenance(claims, env) : gitLabCiProvenance(claims, env, now);
}
