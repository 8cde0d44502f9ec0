import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installWithComposer } from '../composer/install.js';
import { type SandboxOidcIssuer, startSandboxOidcIssuer } from '../oidc/oidc-issuer.js';
import { type SandboxPrivatePackagist, startSandboxPrivatePackagist } from './sandbox-private-packagist.js';

const ORG = 'acme-org';
const REPO_URL = 'https://github.com/acme/hello';

let repo: PhpPackageRepo;
let issuer: SandboxOidcIssuer;
let pp: SandboxPrivatePackagist;

beforeAll(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] });
});
afterAll(async () => repo.cleanup());

afterEach(async () => {
  await pp.close();
  await issuer.close();
});

async function start(vcsWebhookIntervalMs: number) {
  issuer = await startSandboxOidcIssuer();
  pp = await startSandboxPrivatePackagist({ githubIssuer: issuer, vcsWebhookIntervalMs });
  pp.addVcsPackage(ORG, { name: 'acme/hello', repositoryUrl: REPO_URL, gitDir: repo.dir });
}

async function metadata() {
  const answer = await fetch(`${pp.repositoryUrl(ORG)}/p2/acme/hello.json`);
  return { status: answer.status, body: answer.status === 200 ? await answer.json() : undefined };
}

describe('when a VCS package is synchronised', () => {
  beforeEach(async () => start(0));

  it('serves its tags with the tagged commit as source reference, and dists Composer installs', async () => {
    expect((await metadata()).status).toBe(404);
    await pp.syncVcsPackage(ORG, 'acme/hello');
    const tagged = await repo.git(['rev-parse', 'v1.0.0^{commit}']);
    expect(pp.vcsVersions(ORG, 'acme/hello')).toEqual([{ version: 'v1.0.0', reference: tagged.trim() }]);
    const { body } = await metadata();
    const [entry] = body.packages['acme/hello'];
    expect(entry.source).toMatchObject({ type: 'git', reference: tagged.trim() });
    expect(entry.dist.url).toContain(`/${ORG}/dists/acme/hello/`);

    const work = await makeTempDir('pp-vcs-install-');
    try {
      const installed = await installWithComposer({
        repositoryUrl: pp.repositoryUrl(ORG),
        packageName: 'acme/hello',
        version: 'v1.0.0',
        workDir: work.path,
        path: process.env['PATH'],
      });
      expect(installed.files).toContain('composer.json');
    } finally {
      await work.cleanup();
    }
  });

  it("lists it among the organisation's packages", async () => {
    const listing = await fetch(`${pp.repositoryUrl(ORG)}/packages.json`);
    expect((await listing.json())['available-packages']).toContain('acme/hello');
  });
});

describe('when a tag is pushed to a VCS package with the webhook on', () => {
  beforeEach(async () => start(50));

  it('picks the new tag up without any call from the release job', async () => {
    const commit = await repo.commit({ 'src/Later.php': '<?php // later\n' }, 'Later');
    await repo.tag('v1.1.0');
    const deadline = Date.now() + 10_000;
    while (!pp.vcsVersions(ORG, 'acme/hello').some((v) => v.version === 'v1.1.0') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(pp.vcsVersions(ORG, 'acme/hello')).toContainEqual({ version: 'v1.1.0', reference: commit });
  });
});
