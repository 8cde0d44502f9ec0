/** The environment, passed in (never read from `process.env` down here). */
export type Env = Readonly<Record<string, string | undefined>>;

/** The CI systems whose OIDC identity phpublish signs with. */
export type CiPlatform = 'github-actions' | 'gitlab-ci';

/** Which supported CI this run is in, from the variables each one always sets. */
export function detectCiPlatform(env: Env): CiPlatform | undefined {
  if (env['GITHUB_ACTIONS'] === 'true') return 'github-actions';
  if (env['GITLAB_CI'] === 'true') return 'gitlab-ci';
  return undefined;
}

export function ciName(platform: CiPlatform): 'GitHub Actions' | 'GitLab CI' {
  return platform === 'github-actions' ? 'GitHub Actions' : 'GitLab CI';
}

/** The commit the CI job was started for (what its OIDC identity names); undefined outside a supported CI. */
export function ciCommit(env: Env): string | undefined {
  const platform = detectCiPlatform(env);
  const commit = platform === 'github-actions' ? env['GITHUB_SHA'] : platform ? env['CI_COMMIT_SHA'] : undefined;
  return commit?.trim() || undefined;
}
