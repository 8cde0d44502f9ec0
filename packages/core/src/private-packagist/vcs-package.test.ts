import {
  type SandboxOidcIssuer,
  type SandboxPrivatePackagist,
  startSandboxOidcIssuer,
  startSandboxPrivatePackagist,
} from '@phpublish/sandbox';
import { codeOf } from '@phpublish/testing/errors';
import { gitEnv } from '@phpublish/testing/git';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../log/index.js';
import { createReleaseContext } from '../release/context.js';
import { postureRows } from '../release/posture.js';
import { preflightPackagist } from '../release/preflight-packagist.js';
import { preflightPrivatePackagist } from './preflight.js';
import { publishToPrivatePackagist } from './publish.js';

const ORG = 'acme-org';
const REPO_URL = 'https://github.com/acme/hello';
let repo: PhpPackageRepo;
let issuer: SandboxOidcIssuer;
let pp: SandboxPrivatePackagist;

async function start(vcsWebhookIntervalMs: number) {
  issuer = await startSandboxOidcIssuer();
  pp = await startSandboxPrivatePackagist({ githubIssuer: issuer, vcsWebhookIntervalMs });
  pp.addVcsPackage(ORG, { name: 'acme/hello', repositoryUrl: REPO_URL, gitDir: repo.dir });
  // The package was added to Private Packagist before this release: v1.0.0 is listed.
  await pp.syncVcsPackage(ORG, 'acme/hello');
}

beforeEach(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] });
});
afterEach(async () => {
  await pp.close();
  await issuer.close();
  await repo.cleanup();
});

/** A GitLab CI job (Private Packagist's trusted publishing is GitHub-only) with no OIDC variables at all. */
function context(privatePackagist: Record<string, unknown> = {}, confirm: Record<string, unknown> = { timeout: 10 }) {
  const logger = memoryLogger();
  const ctx = createReleaseContext({
    cwd: repo.dir,
    env: { ...gitEnv(), GITLAB_CI: 'true', CI: 'true', CI_PROJECT_PATH: 'acme/hello' },
    logger,
    options: {
      attest: { enabled: false },
      packagist: {
        mode: 'private-packagist',
        privatePackagist: { organization: ORG, url: pp.url, repositoryUrl: pp.repositoryUrl(ORG), ...privatePackagist },
        confirm,
      },
    },
  });
  return { ctx, logger };
}

async function release(name: string) {
  const commit = await repo.commit({ [`src/${name}.php`]: `<?php // ${name}\n` }, name);
  await repo.tag(name);
  return { version: name, commit };
}

describe('when the package is a VCS package (detected from the organisation repository)', () => {
  beforeEach(async () => start(50));

  it('sends nothing, uses no credential, and confirms the version at the tagged commit', async () => {
    const { ctx, logger } = context();
    const v110 = await release('v1.1.0');
    expect(await preflightPrivatePackagist(ctx, 'acme/hello', v110)).toEqual([]);
    const outcome = await publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, v110);
    expect(outcome).toMatchObject({ notified: 'repository-sync', confirmation: 'served' });
    expect(outcome.credential).toBeUndefined();
    expect(outcome.entry?.source?.reference).toBe(v110.commit);
    expect(pp.requests.filter((r) => r.url.startsWith('/api/'))).toEqual([]);
    expect(logger.lines.join('\n')).toMatch(/VCS package; Private Packagist picks the pushed tag up/);
    const rows = postureRows({ packageName: 'acme/hello', ...v110, packagist: { ...outcome, jobs: [] } });
    expect(rows.find((row) => row.layer === 'Packagist notification')).toMatchObject({
      status: 'protected',
      detail: expect.stringContaining('no credential used'),
    });

    // A re-run finds it served and sends nothing.
    expect((await publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, v110)).notified).toBe('already-served');
  });

  it('refuses in preflight a version Private Packagist already lists at another commit', async () => {
    const { ctx } = context();
    const moved = { version: 'v1.0.0', commit: await repo.commit({ 'src/X.php': '<?php\n' }, 'X') };
    const problems = await preflightPackagist(ctx, {
      target: { packageName: 'acme/hello', repositoryUrl: REPO_URL },
      release: moved,
    });
    expect(problems.map((p) => p.code)).toEqual(['PACKAGIST_VERSION_AT_OTHER_COMMIT']);
    expect(await codeOf(publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, moved))).toBe(
      'PACKAGIST_VERSION_AT_OTHER_COMMIT',
    );
  });
});

describe('when the tag never reaches Private Packagist (no webhook)', () => {
  beforeEach(async () => start(0));

  it('fails with the coded error naming the synchronisation, and a re-run confirms once it is synchronised', async () => {
    const { ctx } = context({ packageType: 'vcs' }, { timeout: 1 });
    const v110 = await release('v1.1.0');
    expect(await codeOf(publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, v110))).toBe(
      'PRIVATE_PACKAGIST_VCS_NOT_SYNCED',
    );
    await pp.syncVcsPackage(ORG, 'acme/hello');
    expect(await publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, v110)).toMatchObject({
      notified: 'already-served',
      confirmation: 'served',
    });
  });

  it('warns instead with confirm.onTimeout: warn', async () => {
    const { ctx, logger } = context({ packageType: 'vcs' }, { timeout: 1, onTimeout: 'warn' });
    const v110 = await release('v1.1.0');
    expect(await publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, v110)).toMatchObject({
      notified: 'repository-sync',
      confirmation: 'timed-out-warned',
    });
    expect(logger.lines.join('\n')).toMatch(/PRIVATE_PACKAGIST_VCS_NOT_SYNCED/);
  });
});

describe('when packageType says artifact for a package listed from its repository', () => {
  beforeEach(async () => start(0));

  it('takes the trusted-publishing path, which a GitLab job cannot use', async () => {
    const { ctx } = context({ packageType: 'artifact' });
    const v110 = await release('v1.1.0');
    expect(await codeOf(publishToPrivatePackagist(ctx, { packageName: 'acme/hello' }, v110))).toBe(
      'PRIVATE_PACKAGIST_CI_UNSUPPORTED',
    );
    const problems = await preflightPrivatePackagist(ctx, 'acme/hello', v110);
    expect(problems.map((p) => p.code)).toEqual(['PRIVATE_PACKAGIST_CI_UNSUPPORTED']);
  });
});
