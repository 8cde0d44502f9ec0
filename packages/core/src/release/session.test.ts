import { existsSync } from 'node:fs';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PhpublishAggregateError } from '../errors/index.js';
import { memoryLogger } from '../log/index.js';
import { ReleaseSession } from './session.js';

let key: TestKey;
let fixture: PackagistFixture;

beforeAll(async () => {
  key = await generateTestKey('ed25519');
});

beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
});

afterEach(async () => {
  await fixture.cleanup();
});

function input(env: Record<string, string> = {}) {
  return {
    cwd: fixture.repo.dir,
    env: gitEnv({ PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: fixture.alice.safeToken, ...env }),
    options: {
      attest: { enabled: false },
      packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, repositoryUrl: REPOSITORY_URL },
    },
    logger: memoryLogger(),
  };
}

describe('ReleaseSession', () => {
  describe('when the preflight finds problems', () => {
    it('starts no session and throws every problem at once', async () => {
      const error = await ReleaseSession.start({
        ...input({ PHPUBLISH_GPG_PRIVATE_KEY: 'not a key' }),
        env: gitEnv({ PACKAGIST_USERNAME: 'alice', PHPUBLISH_GPG_PRIVATE_KEY: 'not a key' }),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PhpublishAggregateError);
      expect((error as PhpublishAggregateError).errors.map((e) => e.code).sort()).toEqual([
        'PACKAGIST_CREDENTIALS_MISSING',
        'SIGNING_KEY_MALFORMED',
      ]);
    });
  });

  describe('when it signs tags', () => {
    it('hands out the signing variables, restores the environment, and removes its tools at cleanup', async () => {
      const session = await ReleaseSession.start(input({ PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey }));
      expect(session.done).toEqual(['preflight']);
      const hostEnv: Record<string, string | undefined> = { GIT_CONFIG_COUNT: '2', GIT_EDITOR: 'vi' };
      expect(await session.setSigningEnvironment('v1.0.0', [hostEnv])).toBe(true);
      expect(hostEnv).toMatchObject({ GIT_CONFIG_COUNT: '6', GIT_CONFIG_KEY_2: 'tag.gpgSign' });
      const gpgProgram = hostEnv['GIT_CONFIG_VALUE_4'];
      expect(gpgProgram && existsSync(gpgProgram)).toBe(true);
      expect(session.toDo).toEqual(['publish', 'report', 'cleanup']);

      await session.cleanup();
      expect(hostEnv).toEqual({ GIT_CONFIG_COUNT: '2', GIT_EDITOR: 'vi' });
      expect(existsSync(gpgProgram!)).toBe(false);
      await session.cleanup(); // twice is harmless
      expect(session.done).toEqual(['preflight', 'signing-environment', 'cleanup']);
    });

    it('says in one sentence what a dry run would do', async () => {
      const session = await ReleaseSession.start(input({ PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey }));
      const text = session.describeDryRun({ tag: 'v1.0.0', commit: fixture.repo.head });
      expect(text).toContain(`Would release acme/hello v1.0.0 at ${fixture.repo.head.slice(0, 12)}: signed tag`);
      expect(text).toContain(`would make v1.0.0 an OpenPGP-signed tag (key ${key.fingerprint}), then call Packagist`);
      await session.cleanup();
    });
  });

  describe('when no signing key is configured', () => {
    it('leaves the host environment alone', async () => {
      const session = await ReleaseSession.start(input());
      const hostEnv: Record<string, string | undefined> = {};
      expect(await session.setSigningEnvironment('v1.0.0', [hostEnv])).toBe(false);
      expect(await session.signingVariables(hostEnv, 'v1.0.0')).toBeUndefined();
      expect(hostEnv).toEqual({});
      await session.cleanup();
    });
  });
});
