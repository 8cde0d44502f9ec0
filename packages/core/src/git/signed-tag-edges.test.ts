import { git, gitEnv } from '@phpublish/testing/git';
import { generateTestKey } from '@phpublish/testing/pgp';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { loadSigningKey, type SigningKey } from '../pgp/signing-key.js';
import { createSignedTag, pushTag } from './signed-tag.js';

// Edges of tagging that a release meets on real machines: a tag name already taken by something
// that is not a commit, a CI runner with no git identity, a push of a tag that was never made.

let key: SigningKey;
beforeAll(async () => {
  const test = await generateTestKey('ed25519');
  key = await loadSigningKey({
    armoredKey: test.armoredPrivateKey,
    keySource: 'PHPUBLISH_GPG_PRIVATE_KEY',
    passphraseSource: 'PHPUBLISH_GPG_PASSPHRASE',
  });
}, 60_000);

const repos: PhpPackageRepo[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.cleanup();
});
async function newRepo(): Promise<PhpPackageRepo> {
  const repo = await createPhpPackageRepo({ name: 'acme/hello' });
  repos.push(repo);
  return repo;
}

const env = gitEnv();

describe('when the tag name is already taken by a tree, not a commit', () => {
  it('refuses with TAG_EXISTS_AT_OTHER_COMMIT naming what the tag points at, and leaves it where it was', async () => {
    const repo = await newRepo();
    const tree = (await git(repo.dir, ['rev-parse', 'HEAD^{tree}'], { env })).trim();
    await git(repo.dir, ['update-ref', 'refs/tags/v1.0.0', tree], { env });

    const error = await createSignedTag({
      cwd: repo.dir,
      env,
      tag: 'v1.0.0',
      message: 'Release v1.0.0',
      key,
      replaceExisting: true,
    }).catch((e) => e);

    expect(isPhpublishError(error, 'TAG_EXISTS_AT_OTHER_COMMIT')).toBe(true);
    expect(error.message).toContain(tree);
    expect((await git(repo.dir, ['rev-parse', 'refs/tags/v1.0.0'], { env })).trim()).toBe(tree);
  });
});

describe('when git knows no committer identity (a bare CI runner)', () => {
  it('stops with TAG_WRITE_FAILED carrying git’s reason, and writes no tag', async () => {
    const repo = await newRepo();
    // No name or e-mail in the environment, and git told not to guess one from the host name.
    const {
      GIT_COMMITTER_NAME: _name,
      GIT_COMMITTER_EMAIL: _email,
      GIT_AUTHOR_NAME: _authorName,
      GIT_AUTHOR_EMAIL: _authorEmail,
      ...rest
    } = env;
    const anonymous = {
      ...rest,
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_1: 'user.useConfigOnly',
      GIT_CONFIG_VALUE_1: 'true',
    };

    const error = await createSignedTag({
      cwd: repo.dir,
      env: anonymous,
      tag: 'v1.0.0',
      message: 'Release',
      key,
    }).catch((e) => e);

    expect(isPhpublishError(error, 'TAG_WRITE_FAILED')).toBe(true);
    expect(error.message).toMatch(/identity|user\.email|who you are/i);
    await expect(git(repo.dir, ['rev-parse', '--verify', '--quiet', 'refs/tags/v1.0.0'], { env })).rejects.toThrow();
  });

  it('needs no identity when the host names the tagger', async () => {
    const repo = await newRepo();
    const { GIT_COMMITTER_NAME: _name, GIT_COMMITTER_EMAIL: _email, ...rest } = env;
    const anonymous = {
      ...rest,
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_1: 'user.useConfigOnly',
      GIT_CONFIG_VALUE_1: 'true',
    };

    const tagged = await createSignedTag({
      cwd: repo.dir,
      env: anonymous,
      tag: 'v1.0.0',
      message: 'Release',
      key,
      tagger: 'Release Bot <bot@phpublish.invalid> 1767225600 +0000',
    });

    expect(tagged.created).toBe(true);
    expect(await git(repo.dir, ['cat-file', 'tag', 'v1.0.0'], { env })).toContain(
      '\ntagger Release Bot <bot@phpublish.invalid> 1767225600 +0000\n',
    );
  });
});

describe('when asked to push a tag that does not exist here', () => {
  it('refuses with TAG_NOT_FOUND before talking to any remote', async () => {
    const repo = await newRepo();
    const error = await pushTag({ cwd: repo.dir, env, tag: 'v9.9.9', remote: '/nonexistent/remote.git' }).catch(
      (e) => e,
    );
    expect(isPhpublishError(error, 'TAG_NOT_FOUND')).toBe(true);
  });
});
