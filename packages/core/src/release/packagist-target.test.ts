import { gitEnv } from '@phpublish/testing/git';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../log/index.js';
import { createReleaseContext } from './context.js';
import { resolvePackagistTarget } from './packagist-target.js';

// A host tool's repository URL may carry a push token (https://x-access-token:<token>@github.com/…).
// Whatever form the token takes in that URL, it is a secret of the run from then on.

let repo: PhpPackageRepo;

beforeAll(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: [] });
});
afterAll(async () => repo.cleanup());

async function resolveWith(hostRepositoryUrl: string) {
  const context = createReleaseContext({
    cwd: repo.dir,
    env: gitEnv(),
    logger: memoryLogger(),
    options: { attest: { enabled: false }, packagist: { mode: 'github-app' } },
  });
  const { target } = await resolvePackagistTarget(context, { hostRepositoryUrl });
  return { target, redact: (text: string) => context.redactor.redact(text) };
}

describe('when the host’s repository URL carries a token', () => {
  it.each([
    ['as written', 'ghs_0123456789abcdef', ['ghs_0123456789abcdef']],
    ['percent-encoded in lower case', 'tok%2fen%2bsecret', ['tok%2fen%2bsecret', 'tok/en+secret', 'tok%2Fen%2Bsecret']],
    ['with a broken percent sequence', 'pass%ZZword', ['pass%ZZword']],
  ])('publishes the public URL and redacts the token %s in every form', async (_how, token, forms) => {
    const { target, redact } = await resolveWith(`https://x-access-token:${token}@github.com/acme/hello.git`);
    expect(target?.repositoryUrl).toBe('https://github.com/acme/hello');
    for (const form of forms) expect(redact(`git said: ${form}`)).toBe('git said: [redacted]');
  });
});
