import { PhpublishError } from '../errors/index.js';
import { type CiPlatform, ciCommit, ciName, detectCiPlatform, type Env } from './ci.js';

/** The release whose attestation is checked: its tag and the commit the tag points at (or will). */
export interface ReleaseCommit {
  tag: string;
  /** The tag's commit, or `{ madeBy }` when the host tool makes it during the release. */
  commit: string | { madeBy: string };
}

/**
 * A CI job's identity names the commit the job was started for, and so does every attestation it
 * signs; `phpublish verify` refuses an attestation of another commit than the tag's. A release
 * whose tag points elsewhere (a commit the release tool makes during the job, or one pushed before
 * it) cannot be attested usefully: this says so before anything is signed.
 */
export function attestedCommitProblem(
  job: { platform: CiPlatform; commit: string },
  release: ReleaseCommit,
): PhpublishError | undefined {
  const commit =
    typeof release.commit === 'string' ? release.commit : `a commit ${release.commit.madeBy} makes during the release`;
  if (commit.toLowerCase() === job.commit.toLowerCase()) return undefined;
  return new PhpublishError('ATTEST_OTHER_COMMIT', {
    tag: release.tag,
    commit,
    ciCommit: job.commit,
    ci: ciName(job.platform),
  });
}

/** attestedCommitProblem for the job `env` describes; undefined outside a supported CI. */
export function attestedCommitProblemIn(env: Env, release: ReleaseCommit): PhpublishError | undefined {
  const platform = detectCiPlatform(env);
  const commit = ciCommit(env);
  return platform && commit ? attestedCommitProblem({ platform, commit }, release) : undefined;
}
