import {
  type SandboxOidcIssuer,
  type SandboxPrivatePackagist,
  startSandboxOidcIssuer,
  startSandboxPrivatePackagist,
} from '@phpublish/sandbox';
import { codeOf } from '@phpublish/testing/errors';
import { gitEnv } from '@phpublish/testing/git';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../log/index.js';
import { createReleaseContext } from '../release/context.js';
import { privatePackagistListing, publishToPrivatePackagist } from './publish.js';

const ORG = 'acme-org';
let repo: PhpPackageRepo;
let commit: string;
let issuer: SandboxOidcIssuer;
let pp: SandboxPrivatePackagist;

beforeAll(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] });
  commit = repo.head;
});
afterAll(async () => repo.cleanup());
beforeEach(async () => {
  issuer = await startSandboxOidcIssuer();
  pp = await startSandboxPrivatePackagist({ githubIssuer: issuer });
  pp.addTrustedPublisher(ORG, {
    packageName: 'acme/hello',
    owner: 'acme',
    repository: 'hello',
    workflow: 'release.yml',
  });
});
afterEach(async () => {
  await pp.close();
  await issuer.close();
});

function context() {
  const logger = memoryLogger();
  const ctx = createReleaseContext({
    cwd: repo.dir,
    env: { ...gitEnv(), ...issuer.gitHubActionsJob({ repository: 'acme/hello', sha: commit }).env },
    logger,
    options: {
      attest: { enabled: false },
      packagist: {
        mode: 'private-packagist',
        privatePackagist: { organization: ORG, url: pp.url, repositoryUrl: pp.repositoryUrl(ORG) },
        confirm: { timeout: 10 },
      },
    },
  });
  return { ctx, logger };
}

describe('when the organisation already has the version', () => {
  it('sends nothing when it is this zip (a re-run), and refuses before any upload when it is another zip', async () => {
    const { ctx } = context();
    const release = { version: 'v1.0.0', commit };
    expect((await publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, release)).notified).toBe(
      'artifact-package-created',
    );
    const posts = () => pp.requests.filter((r) => r.method === 'POST').length;
    const before = posts();
    expect((await publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, release)).notified).toBe(
      'already-served',
    );
    expect(posts()).toBe(before);

    // v1.0.0 now names another commit locally (another zip than the one served).
    await repo.commit({ 'src/Other.php': '<?php // other\n' }, 'Other');
    const other = { version: 'v1.0.0', commit: repo.head };
    expect(await codeOf(publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, other))).toBe(
      'PRIVATE_PACKAGIST_ARTIFACT_MISMATCH',
    );
    expect(posts()).toBe(before);
  });
});

describe('when the organisation repository lists the version without a shasum', () => {
  it('sends nothing and says it could not check the zip, rather than calling it served', async () => {
    const p2 = {
      packages: {
        'acme/hello': [{ name: 'acme/hello', version: '1.0.0', dist: { type: 'zip', url: 'https://x/a.zip' } }],
      },
    };
    pp.injectFault({ path: /\/p2\//, fault: { status: 200, body: JSON.stringify(p2) }, times: 100 });
    const { ctx, logger } = context();
    const outcome = await publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, { version: 'v1.0.0', commit });
    expect(outcome).toMatchObject({ notified: 'already-served', confirmation: 'not-checked' });
    expect(logger.lines.join('\n')).toMatch(/without a shasum/);
    expect(pp.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });
});

describe('when the organisation repository asks for credentials', () => {
  it('publishes, then says the release could not be confirmed instead of failing', async () => {
    pp.injectFault({ path: /\/p2\//, fault: { status: 401, body: '{"message":"Unauthorized"}' }, times: 100 });
    const { ctx, logger } = context();
    const outcome = await publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, { version: 'v1.0.0', commit });
    expect(outcome).toMatchObject({ notified: 'artifact-package-created', confirmation: 'not-checked' });
    expect(logger.lines.join('\n')).toMatch(/not confirmed, .* needs authentication/);
    expect(pp.versions(ORG, 'acme/hello')).toHaveLength(1);
  });
});

describe('privatePackagistListing (resuming an unfinished release)', () => {
  it('reads the organisation repository, and says unknown when it cannot', async () => {
    const { ctx } = context();
    expect(await privatePackagistListing(ctx, 'acme/hello', 'v1.0.0')).toBe('not-listed');
    await publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, { version: 'v1.0.0', commit });
    expect(await privatePackagistListing(ctx, 'acme/hello', 'v1.0.0')).toBe('listed');
    expect(await privatePackagistListing(ctx, 'acme/hello', 'v2.0.0')).toBe('not-listed');
    pp.injectFault({ path: /\/p2\//, fault: { status: 401 } });
    expect(await privatePackagistListing(ctx, 'acme/hello', 'v1.0.0')).toBe('unknown');
  });
});
