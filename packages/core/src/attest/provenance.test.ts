import { gitHubActionsClaims, gitLabCiClaims } from '@phpublish/sandbox';
import { describe, expect, it } from 'vitest';
import { gitHubActionsProvenance, gitLabCiProvenance } from './provenance.js';
import { provenanceStatement } from './statement.js';
import { releaseFileNames, releaseSubjects, toInTotoSubjects } from './subjects.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('gitHubActionsProvenance', () => {
  describe('when a tag push runs the release workflow', () => {
    it('has the shape actions/attest writes and `gh attestation verify` reads', () => {
      const claims = gitHubActionsClaims({ repository: 'acme/hello', sha: SHA, runId: '42', runAttempt: '2' });
      expect(gitHubActionsProvenance(claims, { GITHUB_SERVER_URL: 'https://github.com' })).toEqual({
        buildDefinition: {
          buildType: 'https://actions.github.io/buildtypes/workflow/v1',
          externalParameters: {
            workflow: {
              ref: 'refs/tags/v1.0.0',
              repository: 'https://github.com/acme/hello',
              path: '.github/workflows/release.yml',
            },
          },
          internalParameters: {
            github: {
              event_name: 'push',
              repository_id: '100200300',
              repository_owner_id: '400500',
              runner_environment: 'github-hosted',
            },
          },
          resolvedDependencies: [
            { uri: 'git+https://github.com/acme/hello@refs/tags/v1.0.0', digest: { gitCommit: SHA } },
          ],
        },
        runDetails: {
          builder: { id: 'https://github.com/acme/hello/.github/workflows/release.yml@refs/tags/v1.0.0' },
          metadata: { invocationId: 'https://github.com/acme/hello/actions/runs/42/attempts/2' },
        },
      });
    });

    it('keeps a ref that contains "@" whole, and names a reusable workflow as the builder', () => {
      const claims = gitHubActionsClaims({
        repository: 'acme/hello',
        ref: 'refs/tags/@acme/hello@1.0.0',
        jobWorkflowRef: 'acme/workflows/.github/workflows/php-release.yml@refs/heads/main',
      });
      const predicate = gitHubActionsProvenance(claims, {});
      expect(predicate.buildDefinition.externalParameters).toEqual({
        workflow: {
          ref: 'refs/tags/@acme/hello@1.0.0',
          repository: 'https://github.com/acme/hello',
          path: '.github/workflows/release.yml',
        },
      });
      expect(predicate.runDetails.builder.id).toBe(
        'https://github.com/acme/workflows/.github/workflows/php-release.yml@refs/heads/main',
      );
    });
  });
});

describe('gitLabCiProvenance', () => {
  it('has the GitLab Runner SLSA v1 shape, with no secret variables', () => {
    const claims = { ...gitLabCiClaims({ projectPath: 'acme/hello', sha: SHA, jobId: '77' }), aud: 'sigstore' };
    const predicate = gitLabCiProvenance(
      claims,
      {
        CI_SERVER_URL: 'https://gitlab.com',
        CI_RUNNER_VERSION: '18.4.0',
        CI_JOB_NAME: 'release',
        CI_COMMIT_TAG: 'v1.0.0',
        CI_JOB_STARTED_AT: '2026-01-01T00:00:00Z',
        CI_JOB_TOKEN: 'glcbt-secret-value-that-must-stay-out',
        PACKAGIST_API_TOKEN: 'f'.repeat(40),
      },
      new Date(Date.UTC(2026, 0, 1, 0, 5)),
    );
    expect(predicate.buildDefinition.buildType).toBe(
      'https://gitlab.com/gitlab-org/gitlab-runner/-/blob/v18.4.0/PROVENANCE.md',
    );
    expect(predicate.buildDefinition.externalParameters).toEqual({
      source: 'https://gitlab.com/acme/hello',
      entryPoint: 'release',
      variables: { CI_COMMIT_TAG: 'v1.0.0', CI_JOB_NAME: 'release' },
    });
    expect(predicate.buildDefinition.resolvedDependencies).toEqual([
      { uri: 'https://gitlab.com/acme/hello', digest: { gitCommit: SHA } },
    ]);
    expect(predicate.runDetails.metadata).toEqual({
      invocationId: 'https://gitlab.com/acme/hello/-/jobs/77',
      startedOn: '2026-01-01T00:00:00Z',
      finishedOn: '2026-01-01T00:05:00Z',
    });
    expect(JSON.stringify(predicate)).not.toContain('secret');
    expect(JSON.stringify(predicate)).not.toContain('f'.repeat(40));
  });
});

describe('subjects', () => {
  it('names the zip, the bundle and the content subject after the package and version', () => {
    expect(releaseFileNames('acme/hello-world', '1.2.0')).toEqual({
      zip: 'acme-hello-world-1.2.0.zip',
      bundle: 'acme-hello-world-1.2.0.sigstore.json',
    });
    const subjects = releaseSubjects({
      packageName: 'acme/hello-world',
      version: '1.2.0',
      zipSha256: 'a'.repeat(64),
      contentDigest: `phpublish-tree-v1:sha256:${'b'.repeat(64)}`,
    });
    const statement = provenanceStatement(toInTotoSubjects(subjects), {
      buildDefinition: { buildType: 'x', externalParameters: {} },
      runDetails: { builder: { id: 'x' } },
    });
    expect(statement.subject).toEqual([
      { name: 'acme-hello-world-1.2.0.zip', digest: { sha256: 'a'.repeat(64) } },
      { name: 'phpublish-tree-v1:acme/hello-world@1.2.0', digest: { sha256: 'b'.repeat(64) } },
    ]);
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
  });

  it('refuses digests that are not what the archive step reports', () => {
    const build = (zip: string, content: string) => () =>
      toInTotoSubjects(
        releaseSubjects({ packageName: 'acme/hello', version: '1.0.0', zipSha256: zip, contentDigest: content }),
      );
    expect(build('A'.repeat(64), `phpublish-tree-v1:sha256:${'b'.repeat(64)}`)).toThrow(/64 lowercase hex/);
    expect(build('a'.repeat(64), `sha256:${'b'.repeat(64)}`)).toThrow(/content digest/);
    expect(() => releaseFileNames('not a name', '1.0.0')).toThrow(/vendor\/name/);
  });
});
