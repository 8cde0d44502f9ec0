/**
 * The attestation preflight when GitHub cannot be reached, and when nothing needs GitHub at all:
 * what would stop the release is reported with its code; what only informs (release immutability)
 * never stops it. Against the sandbox GitHub.
 */
import { type AttestFixture, GITHUB_REPOSITORY, startAttestFixture } from '@phpublish/testing/attest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preflightAttestation } from './preflight.js';

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture();
  fixture.sandbox.github.setImmutableReleases(GITHUB_REPOSITORY, true);
});
afterAll(async () => {
  await fixture.close();
});

const REPO_PATH = `/repos/${GITHUB_REPOSITORY}`;
const codesOf = async (run: ReturnType<AttestFixture['gitHubRun']>, env = run.env) =>
  (await preflightAttestation(run.config, { ...run.deps, env })).map((problem) => problem.code);

describe('when GitHub cannot be reached during the preflight', () => {
  it('reports that the attestation store could not be checked, with its code, and nothing else', async () => {
    const run = fixture.gitHubRun();
    fixture.sandbox.github.injectFault({
      method: 'POST',
      path: `${REPO_PATH}/attestations`,
      fault: { reset: true },
      times: 2,
    });
    fixture.sandbox.github.injectFault({ path: `${REPO_PATH}/immutable-releases`, fault: { reset: true }, times: 2 });
    expect(await codesOf(run)).toEqual(['ATTEST_STORE_FAILED']);
  });

  it('does not stop the release when only the release immutability setting cannot be read', async () => {
    const run = fixture.gitHubRun({}, { config: { storeGitHubAttestation: false } });
    fixture.sandbox.github.injectFault({ path: `${REPO_PATH}/immutable-releases`, fault: { reset: true }, times: 2 });
    expect(await codesOf(run)).toEqual([]);
    expect(run.deps.lines.join('\n')).not.toContain('release immutability is on');
  });
});

describe('when no GitHub store is used', () => {
  it('needs no GitHub token and asks GitHub nothing', async () => {
    const run = fixture.gitHubRun({}, { config: { storeGitHubAttestation: false, storeReleaseAsset: false } });
    const { GITHUB_TOKEN: _, ...withoutToken } = run.env;
    const before = fixture.sandbox.github.requests.length;
    expect(await codesOf(run, withoutToken)).toEqual([]);
    expect(fixture.sandbox.github.requests.length).toBe(before);
  });
});
