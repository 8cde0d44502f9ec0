import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { git } from '../git/index.js';
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

  it('gives no link when Packagist is turned off, asks Packagist nothing, and reports it as skipped', async () => {
    const session = await start({ mode: 'off', url: fixture.packagist.url, repositoryUrl: REPOSITORY_URL });
    expect(session.packagistUrl('v1.0.0')).toBeUndefined();

    // The host made the tag; phpublish publishes the rest of the release.
    await git(['tag', 'v1.0.0', fixture.repo.head], { cwd: fixture.repo.dir, env: gitEnv() });
    const published = await session.publish({ tag: 'v1.0.0', commit: fixture.repo.head });
    expect(published.posture.packagist).toMatchObject({ notified: 'off' });
    const printed: string[] = [];
    await session.report({ print: (text) => printed.push(text) });
    expect(printed.join('\n')).toMatch(/➖ Packagist +not notified \(packagist\.mode is off\)/);
    expect(fixture.packagist.requests).toEqual([]);
    await session.cleanup();
  });
});
