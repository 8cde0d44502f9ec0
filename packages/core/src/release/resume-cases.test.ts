import { startSandboxOidcIssuer, startSandboxPrivatePackagist } from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey } from '@phpublish/testing/pgp';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { Agent } from 'undici';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSignedTag, git } from '../git/index.js';
import { memoryLogger } from '../log/index.js';
import { loadSigningKey, type SigningKey } from '../pgp/signing-key.js';
import { createReleaseContext } from './context.js';
import { findUnfinishedRelease } from './resume.js';

// Which tag a re-run finishes: only a release tag this key signed that the registry does not serve
// at its commit yet. Everything else (someone else's tag, a served version, no tag) is left alone.

let key: SigningKey;
let otherKey: SigningKey;
let fixture: PackagistFixture;
let agent: Agent;

beforeAll(async () => {
  const load = async () =>
    loadSigningKey({
      armoredKey: (await generateTestKey('ed25519')).armoredPrivateKey,
      keySource: 'PHPUBLISH_GPG_PRIVATE_KEY',
      passphraseSource: 'PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE',
    });
  key = await load();
  otherKey = await load();
});

beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
  agent = new Agent();
});

afterEach(async () => {
  await agent.close();
  await fixture.cleanup();
});

function context(options: Record<string, unknown> = {}, cwd = fixture.repo.dir) {
  return createReleaseContext({
    cwd,
    env: { ...gitEnv(), GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/hello' },
    logger: memoryLogger(),
    dispatcher: agent,
    options: {
      attest: { enabled: false },
      packagist: { mode: 'auto', url: fixture.packagist.url, repoUrl: fixture.packagist.url },
      ...options,
    },
  });
}

const target = { packageName: 'acme/hello', repositoryUrl: REPOSITORY_URL };

async function signedTag(tag: string, by: SigningKey = key) {
  await createSignedTag({ cwd: fixture.repo.dir, env: gitEnv(), tag, message: `Release ${tag}`, key: by });
}

describe('when Packagist already serves the newest signed tag at its commit', () => {
  it('finds nothing to finish', async () => {
    await signedTag('v1.0.0');
    expect(await findUnfinishedRelease(context(), { target, signingKey: key })).toEqual({
      tag: 'v1.0.0',
      commit: fixture.repo.head,
    });
    await fixture.packagist.crawlNow('acme/hello');
    expect(await findUnfinishedRelease(context(), { target, signingKey: key })).toBeUndefined();
  });
});

describe('when the newest release tag is not one this key signed', () => {
  it('leaves a tag signed by another key alone', async () => {
    await signedTag('v1.0.0', otherKey);
    expect(await findUnfinishedRelease(context(), { target, signingKey: key })).toBeUndefined();
  });

  it('leaves an unsigned tag alone', async () => {
    await fixture.repo.tag('v1.0.0');
    expect(await findUnfinishedRelease(context(), { target, signingKey: key })).toBeUndefined();
  });
});

describe('when there is nothing that could be resumed', () => {
  it('finds nothing without release tags, without a signing key, or with Packagist off', async () => {
    await fixture.repo.tag('not-a-version');
    expect(await findUnfinishedRelease(context(), { target, signingKey: key })).toBeUndefined();
    await signedTag('v1.0.0');
    expect(await findUnfinishedRelease(context(), { target })).toBeUndefined();
    const off = context({ packagist: { mode: 'off' } });
    expect(await findUnfinishedRelease(off, { target, signingKey: key })).toBeUndefined();
  });

  it('finds nothing in a repository without any commit', async () => {
    const empty = await makeTempDir('phpublish-resume-empty-');
    try {
      await git(['init', '-q'], { cwd: empty.path, env: gitEnv() });
      expect(await findUnfinishedRelease(context({}, empty.path), { target, signingKey: key })).toBeUndefined();
    } finally {
      await empty.cleanup();
    }
  });
});

describe('when the package is published on Private Packagist', () => {
  it('asks the organisation repository, and finishes the tag only while it is not listed there', async () => {
    const issuer = await startSandboxOidcIssuer();
    // No webhook: the test synchronises the VCS package itself.
    const pp = await startSandboxPrivatePackagist({ githubIssuer: issuer, vcsWebhookIntervalMs: 0 });
    try {
      pp.addVcsPackage('acme-org', { name: 'acme/hello', repositoryUrl: REPOSITORY_URL, gitDir: fixture.repo.dir });
      await signedTag('v1.0.0');
      const ctx = context({
        packagist: {
          mode: 'private-packagist',
          privatePackagist: { organization: 'acme-org', url: pp.url, repositoryUrl: pp.repositoryUrl('acme-org') },
        },
      });
      expect(await findUnfinishedRelease(ctx, { target, signingKey: key })).toEqual({
        tag: 'v1.0.0',
        commit: fixture.repo.head,
      });
      await pp.syncVcsPackage('acme-org', 'acme/hello');
      expect(await findUnfinishedRelease(ctx, { target, signingKey: key })).toBeUndefined();
      // The public registry is never asked about a private package.
      expect(fixture.packagist.requests).toEqual([]);
    } finally {
      await pp.close();
      await issuer.close();
    }
  });
});
