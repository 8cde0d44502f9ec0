import { type AttestationSandbox, startAttestationSandbox } from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PhpublishAggregateError } from '../errors/index.js';
import { memoryLogger } from '../log/index.js';
import { ReleaseSession } from './session.js';

// A host names the release only after preflight (release-it, semantic-release). An attested release
// must tag the commit the CI job was started for: its identity, and so the attestation, names that
// commit, and `phpublish verify` refuses an attestation of another. checkRelease says so before anything is made.

let services: AttestationSandbox;
let fixture: PackagistFixture;
beforeEach(async () => {
  services = await startAttestationSandbox();
  fixture = await startPackagistFixture({ tags: [] });
  services.github.addRepository('acme/hello');
});
afterEach(async () => {
  await fixture.cleanup();
  await services.close();
});

/** A GitHub Actions job started for the repository's head commit, attesting releases. */
function startSession() {
  const job = services.githubIssuer.gitHubActionsJob({ repository: 'acme/hello', sha: fixture.repo.head });
  return ReleaseSession.start({
    cwd: fixture.repo.dir,
    env: gitEnv({
      ...job.env,
      GITHUB_API_URL: services.github.apiUrl,
      GITHUB_TOKEN: services.github.issueToken('acme/hello', { contents: 'write', attestations: 'write' }),
      PACKAGIST_USERNAME: 'alice',
      PACKAGIST_API_TOKEN: fixture.alice.safeToken,
    }),
    options: {
      signing: { enabled: false },
      attest: {
        fulcioUrl: services.sigstore.fulcioUrl,
        rekorUrl: services.sigstore.rekorUrl,
        ...(services.sigstore.tsaUrl ? { tsaUrl: services.sigstore.tsaUrl } : {}),
        githubApiUrl: services.github.apiUrl,
      },
      packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, repositoryUrl: REPOSITORY_URL },
    },
    logger: memoryLogger(),
  });
}

async function codesOf(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return error instanceof PhpublishAggregateError ? error.errors.map((e) => e.code) : [];
}

describe('when a host checks the release it names after preflight, with attestations on', () => {
  it('accepts the commit the CI job was started for', async () => {
    const session = await startSession();
    await expect(session.checkRelease({ tag: 'v1.0.0', commit: fixture.repo.head })).resolves.toBeUndefined();
    await session.cleanup();
  });

  it('refuses with ATTEST_OTHER_COMMIT a tag at another commit', async () => {
    const session = await startSession();
    const other = 'f'.repeat(40);
    expect(await codesOf(session.checkRelease({ tag: 'v1.0.0', commit: other }))).toEqual(['ATTEST_OTHER_COMMIT']);
    await session.cleanup();
  });

  it('refuses with ATTEST_OTHER_COMMIT a commit the host tool makes during the release, naming the tool', async () => {
    const session = await startSession();
    const error = await session
      .checkRelease({ tag: 'v1.0.0', commit: fixture.repo.head }, { commitMadeBy: 'release-it' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhpublishAggregateError);
    const [problem] = (error as PhpublishAggregateError).errors;
    expect(problem?.code).toBe('ATTEST_OTHER_COMMIT');
    expect(problem?.message).toContain('a commit release-it makes during the release');
    expect(problem?.message).toContain(fixture.repo.head);
    await session.cleanup();
  });
});
