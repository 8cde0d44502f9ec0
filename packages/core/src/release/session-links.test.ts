import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../log/index.js';
import { ReleaseSession } from './session.js';

// Hosts (semantic-release's success step) print where the release went: the link must lead to the
// package's page on the Packagist that was configured, and there is none when nothing was published there.

let fixture: PackagistFixture;
beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
});
afterEach(async () => {
  await fixture.cleanup();
});

function start(packagist: Record<string, unknown>, env: Record<string, string> = {}) {
  return ReleaseSession.start({
    cwd: fixture.repo.dir,
    env: gitEnv(env),
    options: { attest: { enabled: false }, signing: { enabled: false }, packagist },
    logger: memoryLogger(),
  });
}

describe('when a host links to the release on Packagist', () => {
  it("links the package's page on the configured Packagist, at the version, whatever slashes its URL ends with", async () => {
    const session = await start(
      { url: `${fixture.packagist.url}//`, repoUrl: fixture.packagist.url, repositoryUrl: REPOSITORY_URL },
      { PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: fixture.alice.safeToken },
    );
    expect(session.packagistUrl('v1.0.0')).toBe(`${fixture.packagist.url}/packages/acme/hello#v1.0.0`);
    await session.cleanup();
  });

  it('gives no link when Packagist is turned off', async () => {
    const session = await start({ mode: 'off', url: fixture.packagist.url, repositoryUrl: REPOSITORY_URL });
    expect(session.packagistUrl('v1.0.0')).toBeUndefined();
    await session.cleanup();
  });
});
