/**
 * The GitLab store under failures and leftovers: a file or link of another build is never replaced,
 * a failed step is reported with its code and finished by a re-run, and reads say what is missing.
 * Against the sandbox GitLab, with faults injected per route.
 */
import { type AttestFixture, GITLAB_PROJECT, type Run, startAttestFixture, TAG } from '@phpublish/testing/attest';
import { codeOf } from '@phpublish/testing/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpDeps } from './deps.js';
import { gitLabApiFor } from './forges.js';
import { fetchGitLabPackageFile, fetchGitLabReleaseLink, storeGitLabReleaseLink } from './gitlab-store.js';
import type { SigstoreBundle } from './sign.js';
import type { Subject } from './subjects.js';

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture();
});
afterAll(async () => {
  await fixture.close();
});

const apiOf = (run: Run) =>
  gitLabApiFor({
    env: run.env,
    config: run.config,
    token: { kind: 'job', value: run.env['CI_JOB_TOKEN']! },
    http: httpDeps(run.deps, 5),
    redactor: run.deps.redactor,
  });

/** A bundle whose statement claims these subjects (stores compare subjects; they verify nothing). */
function bundleOf(subjects: Subject[]): SigstoreBundle {
  const payload = Buffer.from(JSON.stringify({ subject: subjects })).toString('base64');
  return { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', dsseEnvelope: { payload } };
}
const subjectsOf = (version: string, hex: string): Subject[] => [
  { name: `acme-hello-${version}.zip`, digest: { sha256: hex.repeat(64) } },
];

function storeInput(version: string, subjects: Subject[]) {
  return {
    tag: `v${version}`,
    version,
    fileName: `acme-hello-${version}.sigstore.json`,
    bundle: bundleOf(subjects),
    subjects,
  };
}

describe('when the GitLab release cannot be read', () => {
  it('reports a failing lookup with ATTEST_STORE_FAILED and its status, uploading nothing', async () => {
    const run = fixture.gitLabRun();
    fixture.sandbox.gitlab.createRelease(GITLAB_PROJECT, 'v5.0.0');
    fixture.sandbox.gitlab.injectFault({
      path: /\/releases\/v5\.0\.0$/,
      fault: { status: 500, body: '{"message":"500 Internal Server Error"}' },
      times: 2,
    });
    const before = fixture.sandbox.gitlab.packageFiles(GITLAB_PROJECT).size;
    const error = await storeGitLabReleaseLink(apiOf(run), storeInput('5.0.0', subjectsOf('5.0.0', 'a'))).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ code: 'ATTEST_STORE_FAILED' });
    expect((error as Error).message).toContain('500');
    expect(fixture.sandbox.gitlab.packageFiles(GITLAB_PROJECT).size).toBe(before);
  });
});

describe('when an earlier run stored something for this version', () => {
  it('refuses a package file of other subjects with ATTEST_RELEASE_ASSET_CONFLICT, and links nothing', async () => {
    const run = fixture.gitLabRun();
    fixture.sandbox.gitlab.createRelease(GITLAB_PROJECT, 'v5.1.0');
    // Another build of 5.1.0 put its file in the package registry (linked from another release).
    await storeGitLabReleaseLink(apiOf(run), { ...storeInput('5.1.0', subjectsOf('5.1.0', 'b')), tag: TAG });
    const other = storeInput('5.1.0', subjectsOf('5.1.0', 'c'));
    expect(await codeOf(storeGitLabReleaseLink(apiOf(run), other))).toBe('ATTEST_RELEASE_ASSET_CONFLICT');
    expect(fixture.sandbox.gitlab.releaseLinks(GITLAB_PROJECT, 'v5.1.0')).toEqual([]);
  });

  it('refuses a release link of that name that points elsewhere', async () => {
    const run = fixture.gitLabRun();
    fixture.sandbox.gitlab.createRelease(GITLAB_PROJECT, 'v5.2.0');
    // The link was made for 5.2.0's file; a build of another version is stored under the same name.
    const first = storeInput('5.2.0', subjectsOf('5.2.0', 'd'));
    await storeGitLabReleaseLink(apiOf(run), first);
    const sameName = { ...storeInput('5.2.1', subjectsOf('5.2.1', 'd')), tag: 'v5.2.0', fileName: first.fileName };
    expect(await codeOf(storeGitLabReleaseLink(apiOf(run), sameName))).toBe('ATTEST_RELEASE_ASSET_CONFLICT');
    expect(fixture.sandbox.gitlab.releaseLinks(GITLAB_PROJECT, 'v5.2.0')).toHaveLength(1);
  });

  it('finishes a run whose upload or link failed, without a second link', async () => {
    const run = fixture.gitLabRun();
    fixture.sandbox.gitlab.createRelease(GITLAB_PROJECT, 'v5.3.0');
    const input = storeInput('5.3.0', subjectsOf('5.3.0', 'e'));

    fixture.sandbox.gitlab.injectFault({
      method: 'PUT',
      path: /\/packages\/generic\//,
      fault: { status: 500 },
      times: 2,
    });
    expect(await codeOf(storeGitLabReleaseLink(apiOf(run), input))).toBe('ATTEST_STORE_FAILED');

    fixture.sandbox.gitlab.injectFault({ method: 'POST', path: /\/assets\/links$/, fault: { status: 500 } });
    expect(await codeOf(storeGitLabReleaseLink(apiOf(run), input))).toBe('ATTEST_STORE_FAILED');
    expect(fixture.sandbox.gitlab.releaseLinks(GITLAB_PROJECT, 'v5.3.0')).toEqual([]);

    expect((await storeGitLabReleaseLink(apiOf(run), input)).state).toBe('stored');
    expect((await storeGitLabReleaseLink(apiOf(run), input)).state).toBe('already-present');
    expect(fixture.sandbox.gitlab.releaseLinks(GITLAB_PROJECT, 'v5.3.0')).toHaveLength(1);
  });
});

describe('when reading a bundle back from GitLab', () => {
  it('says which link is missing, and reports a download that fails with its status', async () => {
    const run = fixture.gitLabRun();
    fixture.sandbox.gitlab.createRelease(GITLAB_PROJECT, 'v5.4.0');
    const input = storeInput('5.4.0', subjectsOf('5.4.0', 'f'));
    expect(await codeOf(fetchGitLabReleaseLink(apiOf(run), { tag: 'v5.4.0', fileName: input.fileName }))).toBe(
      'ATTEST_NOT_FOUND',
    );

    await storeGitLabReleaseLink(apiOf(run), input);
    fixture.sandbox.gitlab.injectFault({
      method: 'GET',
      path: /\/packages\/generic\//,
      fault: { status: 502 },
      times: 2,
    });
    expect(await codeOf(fetchGitLabReleaseLink(apiOf(run), { tag: 'v5.4.0', fileName: input.fileName }))).toBe(
      'ATTEST_FETCH_FAILED',
    );
    expect(await fetchGitLabReleaseLink(apiOf(run), { tag: 'v5.4.0', fileName: input.fileName })).toBe(
      JSON.stringify(input.bundle),
    );
  });

  it('reads a package file that is not there (or hidden) as none, and a failing one as an error', async () => {
    const run = fixture.gitLabRun();
    expect(
      await fetchGitLabPackageFile(apiOf(run), { version: '404.0.0', fileName: 'x.sigstore.json' }),
    ).toBeUndefined();
    fixture.sandbox.gitlab.injectFault({ method: 'GET', path: /\/packages\/generic\//, fault: { status: 403 } });
    expect(
      await fetchGitLabPackageFile(apiOf(run), { version: '5.4.0', fileName: 'acme-hello-5.4.0.sigstore.json' }),
    ).toBeUndefined();
    fixture.sandbox.gitlab.injectFault({
      method: 'GET',
      path: /\/packages\/generic\//,
      fault: { status: 500 },
      times: 2,
    });
    expect(
      await codeOf(
        fetchGitLabPackageFile(apiOf(run), { version: '5.4.0', fileName: 'acme-hello-5.4.0.sigstore.json' }),
      ),
    ).toBe('ATTEST_FETCH_FAILED');
  });
});
