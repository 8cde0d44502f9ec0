import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PhpublishAggregateError } from '../errors/index.js';
import { memoryLogger } from '../log/index.js';
import { createContextAndPreflight } from './preflight.js';

// One run reports every problem: when the configuration itself is wrong (no release context can be
// made), the signing key is still tried, so that a key that does not decrypt is not found a run later.

let protectedKey: TestKey;
let fixture: PackagistFixture;

beforeAll(async () => {
  protectedKey = await generateTestKey('ed25519', { passphrase: 'the right passphrase' });
});
beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
});
afterEach(async () => fixture.cleanup());

/** No Packagist credentials: the configuration cannot be resolved. */
async function codes(env: Record<string, string>, options: Record<string, unknown> = {}) {
  const error = await createContextAndPreflight({
    cwd: fixture.repo.dir,
    env: gitEnv({ PACKAGIST_USERNAME: 'alice', ...env }),
    options: {
      attest: { enabled: false },
      packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, repositoryUrl: REPOSITORY_URL },
      ...options,
    },
    logger: memoryLogger(),
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PhpublishAggregateError);
  return (error as PhpublishAggregateError).errors.map((e) => e.code).sort();
}

describe('when the configuration is wrong and the signing key does not decrypt', () => {
  it('reports both at once: the missing token and the wrong passphrase', async () => {
    const found = await codes({
      PHPUBLISH_GPG_PRIVATE_KEY: protectedKey.armoredPrivateKey,
      PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE: 'not the passphrase',
    });
    expect(found).toEqual(['PACKAGIST_CREDENTIALS_MISSING', 'SIGNING_PASSPHRASE_WRONG']);
  });

  it('reports only the configuration when the key decrypts', async () => {
    const found = await codes({
      PHPUBLISH_GPG_PRIVATE_KEY: protectedKey.armoredPrivateKey,
      PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE: 'the right passphrase',
    });
    expect(found).toEqual(['PACKAGIST_CREDENTIALS_MISSING']);
  });

  it('does not try a key that signing.enabled: false turns off', async () => {
    const found = await codes(
      { PHPUBLISH_GPG_PRIVATE_KEY: protectedKey.armoredPrivateKey, PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE: 'wrong' },
      { signing: { enabled: false } },
    );
    expect(found).toEqual(['PACKAGIST_CREDENTIALS_MISSING']);
  });

  it('reads the key and passphrase given in the options as well', async () => {
    const found = await codes(
      {},
      { signing: { key: protectedKey.armoredPrivateKey, passphrase: 'not the passphrase' } },
    );
    expect(found).toContain('SIGNING_PASSPHRASE_WRONG');
  });
});
