import { type SandboxPackagist, startSandboxPackagist } from '@phpublish/sandbox';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchWithComposer } from './composer-fetch.js';

const REPOSITORY_URL = 'https://github.com/acme/client';
let packagist: SandboxPackagist;
let repo: PhpPackageRepo;
let work: TempDir;

beforeEach(async () => {
  packagist = await startSandboxPackagist({ crawlDelayMs: 5 });
  // A library whose dependencies (and a PHP version no machine has) the local Packagist knows nothing of.
  const composerJson = {
    name: 'acme/client',
    autoload: { 'psr-4': { 'Acme\\Client\\': 'src/' } },
    require: { php: '>=99.0', 'psr/http-message': '^2.0', 'guzzlehttp/promises': '^2.0' },
    scripts: { 'post-create-project-cmd': 'touch scripts-ran' },
  };
  repo = await createPhpPackageRepo({
    name: 'acme/client',
    files: { 'composer.json': JSON.stringify(composerJson, null, 4) },
    tags: ['v2.0.0'],
  });
  packagist.addRemote(REPOSITORY_URL, repo.dir);
  const user = packagist.addUser({ username: 'alice' });
  packagist.addPackage({ name: 'acme/client', repositoryUrl: REPOSITORY_URL, maintainers: [user.username] });
  await packagist.crawlNow('acme/client');
  work = await makeTempDir('phpublish-composer-fetch-');
});

afterEach(async () => {
  await packagist.close();
  await repo.cleanup();
  await work.cleanup();
});

const fetch = () =>
  fetchWithComposer({
    repositoryUrl: packagist.url,
    packageName: 'acme/client',
    version: 'v2.0.0',
    workDir: work.path,
    path: process.env['PATH'],
  });

describe('when the released package has dependencies the local Packagist does not serve', () => {
  it('fetches the released version alone, without resolving them or running its scripts', async () => {
    const { files } = await fetch();
    expect(files).toEqual(['composer.json', 'src/Hello.php']);
    const dists = packagist.requests.filter((r) => r.url.startsWith('/dists/acme/client/'));
    expect(dists).toHaveLength(1);
  });
});

describe('when the dist Composer downloads is not the one the metadata describes', () => {
  it('fails with REHEARSE_COMPOSER_FAILED: Composer checked the checksum, and never went to the network', async () => {
    packagist.injectFault({ path: /^\/dists\//, times: 5, fault: { status: 200, body: 'not the released zip' } });
    const error = await fetch().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REHEARSE_COMPOSER_FAILED' });
    expect((error as Error).message).toContain('The checksum verification of the file failed');
    // Composer's fallback, cloning the source from github.com, is refused before it reaches the network.
    expect((error as Error).message).toContain("transport 'https' not allowed");
  });
});

describe('when the version is not on the local Packagist', () => {
  it('fails with REHEARSE_COMPOSER_FAILED and what Composer said', async () => {
    const error = await fetchWithComposer({
      repositoryUrl: packagist.url,
      packageName: 'acme/client',
      version: 'v9.9.9',
      workDir: work.path,
      path: process.env['PATH'],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REHEARSE_COMPOSER_FAILED' });
    expect((error as Error).message).toContain('Could not find package acme/client');
  });
});
