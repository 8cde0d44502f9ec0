import { gitEnv } from '@phpublish/testing/git';
import { generateTestKey } from '@phpublish/testing/pgp';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { createSignedTag } from '../git/signed-tag.js';
import { loadSigningKey, type SigningKey } from './signing-key.js';

/**
 * What signing costs a release: sign one tag and write it with git (mktag, update-ref, read back
 * and verify), per key kind. Key loading (parse + decrypt) is measured separately: it happens once.
 */
const env = gitEnv();
const keys = new Map<string, SigningKey>();
let repo: PhpPackageRepo;
let counter = 0;

beforeAll(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/bench' });
  for (const kind of ['ed25519', 'rsa3072', 'rsa4096'] as const) {
    const test = await generateTestKey(kind, { passphrase: 'bench passphrase' });
    keys.set(
      kind,
      await loadSigningKey({
        armoredKey: test.armoredPrivateKey,
        keySource: 'PHPUBLISH_GPG_PRIVATE_KEY',
        passphrase: 'bench passphrase',
        passphraseSource: 'PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE',
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  await repo?.cleanup();
});

describe('sign and write one release tag', () => {
  for (const kind of ['ed25519', 'rsa3072', 'rsa4096']) {
    bench(
      kind,
      async () => {
        counter += 1;
        await createSignedTag({ cwd: repo.dir, env, tag: `v1.0.${counter}`, message: 'Release', key: keys.get(kind)! });
      },
      { iterations: 20, warmupIterations: 2 },
    );
  }
});
