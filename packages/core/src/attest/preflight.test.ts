import { type AttestFixture, GITHUB_REPOSITORY, startAttestFixture } from '@phpublish/testing/attest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preflightAttestation } from './preflight.js';

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture({ tsa: false });
});
afterAll(async () => {
  await fixture.close();
});

async function codes(run: ReturnType<AttestFixture['gitHubRun']>, env: Record<string, string | undefined>) {
  const problems = await preflightAttestation(run.config, { ...run.deps, env });
  return problems.map((problem) => problem.code);
}

describe('preflightAttestation', () => {
  describe('when everything a GitHub Actions release job needs is there', () => {
    it('finds no problem, and writes nothing', async () => {
      const run = fixture.gitHubRun();
      expect(await codes(run, run.env)).toEqual([]);
      expect(fixture.sandbox.github.attestations(GITHUB_REPOSITORY)).toEqual([]);
    });
  });

  describe('when attestation is off', () => {
    it('checks nothing', async () => {
      const run = fixture.gitHubRun({}, { config: { enabled: false } });
      expect(await codes(run, {})).toEqual([]);
    });
  });

  describe('when the run is not in a supported CI', () => {
    it('says so with ATTEST_CI_UNSUPPORTED', async () => {
      const run = fixture.gitHubRun();
      expect(await codes(run, { CI: 'true', JENKINS_URL: 'https://ci.example' })).toEqual(['ATTEST_CI_UNSUPPORTED']);
    });
  });

  describe('when the GitHub workflow lacks `id-token: write`', () => {
    it('reports ATTEST_ID_TOKEN_PERMISSION_MISSING, whose remedy names the permission', async () => {
      const run = fixture.gitHubRun();
      const { ACTIONS_ID_TOKEN_REQUEST_URL: _url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: _token, ...env } = run.env;
      const problems = await preflightAttestation(run.config, { ...run.deps, env });
      expect(problems.map((p) => p.code)).toEqual(['ATTEST_ID_TOKEN_PERMISSION_MISSING']);
      expect(problems[0]!.remedy).toContain('id-token: write');
    });
  });

  describe('when the GitHub token lacks `attestations: write`', () => {
    it('finds out without storing anything and names the permission', async () => {
      const run = fixture.gitHubRun({}, { permissions: { contents: 'write' } });
      const problems = await preflightAttestation(run.config, run.deps);
      expect(problems.map((p) => p.code)).toEqual(['ATTEST_GITHUB_PERMISSION_MISSING']);
      expect(problems[0]!.message).toContain('attestations: write');
      expect(problems[0]!.remedy).toContain('attestations: write');
    });

    it('does not ask when the attestation store is not used', async () => {
      const run = fixture.gitHubRun(
        {},
        { permissions: { contents: 'write' }, config: { storeGitHubAttestation: false } },
      );
      expect(await codes(run, run.env)).toEqual([]);
    });
  });

  describe('when storing on GitHub without a GitHub token', () => {
    it('reports ATTEST_GITHUB_TOKEN_MISSING with every other problem', async () => {
      const run = fixture.gitHubRun();
      const { GITHUB_TOKEN: _token, ACTIONS_ID_TOKEN_REQUEST_TOKEN: _request, ...env } = run.env;
      expect(await codes(run, env)).toEqual(['ATTEST_ID_TOKEN_PERMISSION_MISSING', 'ATTEST_GITHUB_TOKEN_MISSING']);
    });
  });

  describe('when the GitLab job has no `id_tokens:` entry', () => {
    it('reports ATTEST_ID_TOKEN_MISSING naming the variable to declare', async () => {
      const run = fixture.gitLabRun();
      const { SIGSTORE_ID_TOKEN: _token, ...env } = run.env;
      const problems = await preflightAttestation(run.config, { ...run.deps, env });
      expect(problems.map((p) => p.code)).toEqual(['ATTEST_ID_TOKEN_MISSING']);
      expect(problems[0]!.remedy).toContain('SIGSTORE_ID_TOKEN:');
      expect(problems[0]!.remedy).toContain('aud: sigstore');
    });
  });

  describe('when the GitLab ID token is for another audience', () => {
    it('reports ATTEST_ID_TOKEN_INVALID', async () => {
      const run = fixture.gitLabRun();
      const job = fixture.sandbox.gitlabIssuer.gitLabCiJob(
        { projectPath: 'acme/hello' },
        { audience: 'https://gitlab.com' },
      );
      const env = { ...run.env, SIGSTORE_ID_TOKEN: job.env['SIGSTORE_ID_TOKEN']! };
      expect(await codes(run, env)).toEqual(['ATTEST_ID_TOKEN_INVALID']);
    });
  });

  describe('when the GitLab job has no token to store the attestation with', () => {
    it('reports ATTEST_GITLAB_TOKEN_MISSING', async () => {
      const run = fixture.gitLabRun();
      const { CI_JOB_TOKEN: _token, ...env } = run.env;
      expect(await codes(run, env)).toEqual(['ATTEST_GITLAB_TOKEN_MISSING']);
    });
  });
});

describe('preflightAttestation with release immutability', () => {
  let immutable: AttestFixture;
  beforeAll(async () => {
    immutable = await startAttestFixture({ tsa: false });
    immutable.sandbox.github.setImmutableReleases(GITHUB_REPOSITORY, true);
    immutable.sandbox.github.createRelease(GITHUB_REPOSITORY, 'v0.9.0');
  });
  afterAll(async () => {
    await immutable.close();
  });
  const notice = (lines: string[]) => lines.filter((line) => line.includes('release immutability is on'));

  describe('when the repository has it on', () => {
    it('says that the zip and bundle go onto the draft, published last, and what a published release gets', async () => {
      const run = immutable.gitHubRun();
      expect(await preflightAttestation(run.config, run.deps)).toEqual([]);
      const [line] = notice(run.deps.lines);
      expect(line).toContain('while the release is a draft and publishes it last');
      expect(line).toContain('attestation store only');
    });

    it('says a published release would stop with ATTEST_RELEASE_IMMUTABLE when the attestation store is off', async () => {
      const run = immutable.gitHubRun({}, { config: { storeGitHubAttestation: false } });
      expect(await preflightAttestation(run.config, run.deps)).toEqual([]);
      expect(notice(run.deps.lines)[0]).toContain('ATTEST_RELEASE_IMMUTABLE');
    });

    it('says nothing when no release asset is attached', async () => {
      const run = immutable.gitHubRun({}, { config: { storeReleaseAsset: false } });
      await preflightAttestation(run.config, run.deps);
      expect(notice(run.deps.lines)).toEqual([]);
    });
  });

  describe('when the repository has it off', () => {
    it('says nothing about it', async () => {
      const run = fixture.gitHubRun();
      await preflightAttestation(run.config, run.deps);
      expect(notice(run.deps.lines)).toEqual([]);
    });
  });
});
