import { describe, expect, it } from 'vitest';
import { attestedCommitProblemIn } from './attested-commit.js';

const JOB_COMMIT = 'a1'.repeat(20);
const OTHER_COMMIT = 'b2'.repeat(20);
const gitHubJob = { GITHUB_ACTIONS: 'true', GITHUB_SHA: JOB_COMMIT };
const gitLabJob = { GITLAB_CI: 'true', CI_COMMIT_SHA: JOB_COMMIT };

describe('attestedCommitProblemIn', () => {
  describe('when the tag points at the commit the job was started for', () => {
    it.each([
      ['GitHub Actions', gitHubJob],
      ['GitLab CI', gitLabJob],
    ])('finds no problem (%s), whatever the case of the hex digits', (_ci, env) => {
      expect(attestedCommitProblemIn(env, { tag: 'v1.0.0', commit: JOB_COMMIT.toUpperCase() })).toBeUndefined();
    });
  });

  describe('when the tag points at another commit', () => {
    it.each([
      ['GitHub Actions', gitHubJob],
      ['GitLab CI', gitLabJob],
    ])('says ATTEST_OTHER_COMMIT, naming both commits (%s)', (ci, env) => {
      const problem = attestedCommitProblemIn(env, { tag: 'v1.0.0', commit: OTHER_COMMIT });
      expect(problem?.code).toBe('ATTEST_OTHER_COMMIT');
      expect(problem?.message).toContain(OTHER_COMMIT);
      expect(problem?.message).toContain(JOB_COMMIT);
      expect(problem?.message).toContain(ci);
    });

    it('says so before the commit exists when the release tool will make it', () => {
      const problem = attestedCommitProblemIn(gitHubJob, { tag: 'v1.0.0', commit: { madeBy: 'release-it' } });
      expect(problem?.code).toBe('ATTEST_OTHER_COMMIT');
      expect(problem?.message).toContain('a commit release-it makes during the release');
    });
  });

  describe('when there is no CI job commit to compare with', () => {
    it.each([
      ['outside CI', { GITHUB_SHA: JOB_COMMIT }],
      ['GitHub Actions without GITHUB_SHA', { GITHUB_ACTIONS: 'true' }],
    ])('finds no problem here (%s): the preflight reports the missing CI identity', (_case, env) => {
      expect(attestedCommitProblemIn(env, { tag: 'v1.0.0', commit: OTHER_COMMIT })).toBeUndefined();
    });
  });
});
