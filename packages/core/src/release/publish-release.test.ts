import { codeOf } from '@phpublish/testing/errors';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { createBareRemote } from '@phpublish/testing/php-package-repo';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { git } from '../git/index.js';
import { memoryLogger } from '../log/index.js';
import { createReleaseContext } from './context.js';
import { publishRelease } from './publish-release.js';

// The first step of publishing, the tag: what is refused before anything is built or sent.

let fixture: PackagistFixture;

beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
});
afterEach(async () => fixture.cleanup());

function context() {
  return createReleaseContext({
    cwd: fixture.repo.dir,
    env: gitEnv({ PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: fixture.alice.safeToken }),
    logger: memoryLogger(),
    options: {
      attest: { enabled: false },
      packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, repositoryUrl: REPOSITORY_URL },
    },
  });
}

const target = { packageName: 'acme/hello', repositoryUrl: REPOSITORY_URL };

describe('when the host tags itself but the tag is not there', () => {
  it('fails with TAG_NOT_FOUND and tells Packagist nothing', async () => {
    expect(await codeOf(publishRelease(context(), { target, tag: 'v1.0.0', commit: fixture.repo.head }))).toBe(
      'TAG_NOT_FOUND',
    );
    expect(fixture.packagist.requests).toEqual([]);
  });
});

describe('when phpublish is to create and push the tag but has no signing key', () => {
  it('fails with SIGNING_KEY_MISSING, creating and pushing no tag', async () => {
    const remote = await createBareRemote();
    try {
      const release = { target, tag: 'v1.0.0', commit: fixture.repo.head, createAndPushTo: remote.dir };
      expect(await codeOf(publishRelease(context(), release))).toBe('SIGNING_KEY_MISSING');
      const options = { cwd: fixture.repo.dir, env: gitEnv() };
      expect((await git(['tag', '--list'], options)).trim()).toBe('');
      expect((await git(['ls-remote', '--tags', remote.dir], options)).trim()).toBe('');
      expect(fixture.packagist.requests).toEqual([]);
    } finally {
      await remote.cleanup();
    }
  });
});
