import { existsSync } from 'node:fs';
import { git, gitEnv } from '@phpublish/testing/git';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readTagObject, verifyTag } from '../git/index.js';
import { loadSigningKey, type SigningKey, trustSigningKey } from '../pgp/index.js';
import {
  gitSigningEnvironment,
  gpgProgramScript,
  setVariables,
  writeGitSigningTools,
} from './git-signing-environment.js';

// The built phpublish-gpg that core ships (the test command builds every package before running tests).
const GPG_SCRIPT = gpgProgramScript();

let key: TestKey;
let signingKey: SigningKey;
/** Protected by a passphrase, which phpublish-gpg reads from PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE. */
let protectedKey: TestKey;
let protectedSigningKey: SigningKey;
let repo: PhpPackageRepo | undefined;

beforeAll(async () => {
  key = await generateTestKey('ed25519');
  signingKey = await loadSigningKey({ armoredKey: key.armoredPrivateKey, keySource: 'test', passphraseSource: 'test' });
  protectedKey = await generateTestKey('ed25519', { passphrase: 'correct horse' });
  protectedSigningKey = await loadSigningKey({
    armoredKey: protectedKey.armoredPrivateKey,
    keySource: 'test',
    passphrase: 'correct horse',
    passphraseSource: 'test',
  });
});

afterEach(async () => {
  await repo?.cleanup();
});

describe('gitSigningEnvironment', () => {
  it('appends to configuration the environment already carries', () => {
    const env = gitSigningEnvironment(
      { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'init.defaultBranch', GIT_CONFIG_VALUE_0: 'main' },
      { tools: { gpgProgram: '/x/gpg', editor: '/x/editor' }, fingerprint: 'ABCD', message: 'Release v1.0.0' },
    );
    expect(env).toMatchObject({
      GIT_CONFIG_COUNT: '5',
      GIT_CONFIG_KEY_1: 'tag.gpgSign',
      GIT_CONFIG_VALUE_1: 'true',
      GIT_CONFIG_KEY_3: 'gpg.program',
      GIT_CONFIG_VALUE_3: '/x/gpg',
      GIT_CONFIG_KEY_4: 'user.signingKey',
      GIT_CONFIG_VALUE_4: 'ABCD',
      GIT_EDITOR: '/x/editor',
      PHPUBLISH_TAG_MESSAGE: 'Release v1.0.0',
    });
    expect(env).not.toHaveProperty('GIT_CONFIG_KEY_0');
  });

  describe('when a tool runs a plain `git tag <name> <sha>` in that environment', () => {
    it('creates an annotated tag signed with our key, with the message, and writes no git config', async () => {
      expect(existsSync(GPG_SCRIPT)).toBe(true);
      repo = await createPhpPackageRepo({ name: 'acme/hello' });
      const tools = await writeGitSigningTools({ nodePath: process.execPath, gpgProgramScript: GPG_SCRIPT });
      try {
        const base = gitEnv({ PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey });
        const env = {
          ...base,
          ...gitSigningEnvironment(base, { tools, fingerprint: signingKey.fingerprint, message: 'Release v1.0.0' }),
        };
        await git(repo.dir, ['tag', 'v1.0.1', repo.head], { env });
        const tag = await readTagObject({ cwd: repo.dir, env: gitEnv(), tag: 'v1.0.1' });
        expect(tag.message).toBe('Release v1.0.0\n');
        const verified = await verifyTag({
          cwd: repo.dir,
          env: gitEnv(),
          tag: 'v1.0.1',
          trusted: trustSigningKey(signingKey),
        });
        expect(verified.signer.fingerprint).toBe(signingKey.fingerprint);
        expect(await git(repo.dir, ['config', '--local', '--list'])).not.toMatch(/gpg|signingkey/i);
      } finally {
        await tools.remove();
      }
      expect(existsSync(tools.gpgProgram)).toBe(false);
    });
  });

  describe('when the workflow set its own GIT_CONFIG entries and GIT_EDITOR', () => {
    it('keeps them working while the tag is signed, and puts back exactly what was there afterwards', async () => {
      repo = await createPhpPackageRepo({ name: 'acme/hello' });
      const tools = await writeGitSigningTools({ gpgProgramScript: GPG_SCRIPT });
      try {
        // A user's env-scoped git configuration, and an editor that would fail a tag it were asked for.
        const env: Record<string, string | undefined> = {
          ...gitEnv({
            PHPUBLISH_GPG_PRIVATE_KEY: protectedKey.armoredPrivateKey,
            PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE: 'correct horse',
          }),
          GIT_CONFIG_COUNT: '1',
          GIT_CONFIG_KEY_0: 'phpublish.fixture',
          GIT_CONFIG_VALUE_0: 'kept',
          GIT_EDITOR: 'false',
        };
        const original = { ...env };
        const restore = setVariables(
          env,
          gitSigningEnvironment(env, {
            tools,
            fingerprint: protectedSigningKey.fingerprint,
            message: 'Release v1.0.1',
          }),
        );
        expect(await git(repo.dir, ['config', '--get', 'phpublish.fixture'], { env })).toBe('kept\n');
        await git(repo.dir, ['tag', 'v1.0.1', repo.head], { env });
        const verified = await verifyTag({
          cwd: repo.dir,
          env: gitEnv(),
          tag: 'v1.0.1',
          trusted: trustSigningKey(protectedSigningKey),
        });
        expect(verified.signer.fingerprint).toBe(protectedSigningKey.fingerprint);

        restore();
        expect(env).toEqual(original);
        expect(await git(repo.dir, ['config', '--get', 'phpublish.fixture'], { env })).toBe('kept\n');
        await expect(git(repo.dir, ['config', '--get', 'tag.gpgSign'], { env })).rejects.toThrow();
        // Restoring once more changes nothing that others set in between.
        env['GIT_EDITOR'] = 'vi';
        restore();
        expect(env['GIT_EDITOR']).toBe('vi');
      } finally {
        await tools.remove();
      }
    });
  });
});
