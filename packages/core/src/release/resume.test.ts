import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey } from '@phpublish/testing/pgp';
import { Agent } from 'undici';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSignedTag } from '../git/index.js';
import { memoryLogger } from '../log/index.js';
import { loadSigningKey, type SigningKey } from '../pgp/signing-key.js';
import { createReleaseContext } from './context.js';
import { findUnfinishedRelease } from './resume.js';

let key: SigningKey;
let fixture: PackagistFixture;
let agent: Agent;

beforeAll(async () => {
  const test = await generateTestKey('ed25519');
  key = await loadSigningKey({ armoredKey: test.armoredPrivateKey, keySource: 'PHPUBLISH_GPG_PRIVATE_KEY' });
});

beforeEach(async () => {
  // Packagist knows the package but has crawled none of its tags yet: every tag is unfinished.
  fixture = await startPackagistFixture({ tags: [] });
  agent = new Agent();
});

afterEach(async () => {
  await agent.close();
  await fixture.cleanup();
});

function context() {
  return createReleaseContext({
    cwd: fixture.repo.dir,
    env: { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/hello' },
    logger: memoryLogger(),
    dispatcher: agent,
    options: {
      attest: { enabled: false },
      packagist: { mode: 'auto', url: fixture.packagist.url, repoUrl: fixture.packagist.url },
    },
  });
}

const target = { packageName: 'acme/hello', repositoryUrl: REPOSITORY_URL };

async function signedTag(tag: string) {
  await createSignedTag({ cwd: fixture.repo.dir, env: gitEnv(), tag, message: `Release ${tag}`, key });
}

describe('when the repository changed its tag prefix (v3.8.2, then 7.8.1)', () => {
  it('finds the unfinished release by Composer version order, not by tag name', async () => {
    await signedTag('v3.8.2');
    const newer = await fixture.repo.commit({ 'CHANGELOG.md': '7.8.1\n' }, 'Release 7.8.1');
    await signedTag('7.8.1');
    // git's -v:refname puts v3.8.2 first; Composer reads 7.8.1 as the newer version.
    expect(await findUnfinishedRelease(context(), { target, signingKey: key })).toEqual({
      tag: '7.8.1',
      commit: newer,
    });
  });

  it('passes over pre-releases of an older version and dev versions', async () => {
    await signedTag('2.0.0');
    const released = fixture.repo.head;
    await fixture.repo.commit({ 'CHANGELOG.md': 'next\n' }, 'Next');
    await signedTag('2.0.0-RC1');
    await signedTag('2.1.0-dev');
    expect(await findUnfinishedRelease(context(), { target, signingKey: key })).toEqual({
      tag: '2.0.0',
      commit: released,
    });
  });
});
