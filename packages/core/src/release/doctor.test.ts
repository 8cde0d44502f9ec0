import { startSandboxOidcIssuer, startSandboxPrivatePackagist } from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../log/index.js';
import { type DiagnosisRow, diagnose } from './doctor.js';

// doctor fills in every row, whatever state the repository and the configuration are in.

let fixture: PackagistFixture;

beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
});
afterEach(async () => fixture.cleanup());

async function rows(packagist: Record<string, unknown>, env: Record<string, string> = {}) {
  const found = await diagnose({
    cwd: fixture.repo.dir,
    env: gitEnv(env),
    options: {
      attest: { enabled: false },
      packagist: {
        url: fixture.packagist.url,
        repoUrl: fixture.packagist.url,
        repositoryUrl: REPOSITORY_URL,
        ...packagist,
      },
    },
    logger: memoryLogger(),
  });
  return Object.fromEntries(found.map((row) => [row.area, row])) as Record<string, DiagnosisRow>;
}

describe('when no signing key is configured', () => {
  it('warns that release tags will not be signed, and says how to sign them', async () => {
    const { 'Signed tags': signed } = await rows({ mode: 'off' });
    expect(signed).toMatchObject({ status: 'warning', detail: expect.stringContaining('PHPUBLISH_GPG_PRIVATE_KEY') });
  });
});

describe('when packagist.mode is off', () => {
  it('warns that Packagist is off and asks it nothing', async () => {
    const { Packagist: packagist } = await rows({ mode: 'off' });
    expect(packagist).toMatchObject({ status: 'warning', detail: 'off (packagist.mode is off)' });
    expect(fixture.packagist.requests).toEqual([]);
  });
});

describe('when the Packagist GitHub App updates the package (packagist.mode: github-app)', () => {
  it('checks that Packagist lists the package and says no token is needed', async () => {
    const { Packagist: packagist } = await rows({ mode: 'github-app' });
    expect(packagist).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/no token: the Packagist GitHub App/),
    });
  });
});

describe('when the repository is not a Composer package doctor can name', () => {
  it('reports the Package row as a coded problem and still fills in the other rows', async () => {
    await fixture.repo.commit({ 'composer.json': '{"description":"no name"}\n' }, 'No name');
    const found = await rows({ mode: 'github-app' });
    expect(found['Package']).toMatchObject({ status: 'problem', codes: ['COMPOSER_JSON_INVALID'] });
    expect(found['Package']?.detail).toContain('COMPOSER_JSON_INVALID');
    expect(Object.keys(found)).toEqual(['Configuration', 'Package', 'Signed tags', 'Attestation', 'Packagist']);
    // Packagist cannot be asked about a package without a name: the row says so instead of vanishing.
    expect(found['Packagist']).toMatchObject({ status: 'warning', detail: expect.stringMatching(/not checked/) });
    expect(fixture.packagist.requests).toEqual([]);
  });
});

describe('when the package is a VCS package on Private Packagist (packageType: vcs)', () => {
  it('says nothing is sent and no credential is used, outside any CI too', async () => {
    const issuer = await startSandboxOidcIssuer();
    const pp = await startSandboxPrivatePackagist({ githubIssuer: issuer, vcsWebhookIntervalMs: 0 });
    try {
      const { Packagist: packagist } = await rows({
        mode: 'private-packagist',
        privatePackagist: { organization: 'acme-org', url: pp.url, packageType: 'vcs' },
      });
      expect(packagist).toMatchObject({
        status: 'ok',
        detail: expect.stringMatching(/a VCS package.*no credential is used/),
      });
      expect(pp.requests.filter((r) => r.method === 'POST')).toEqual([]);
    } finally {
      await pp.close();
      await issuer.close();
    }
  });
});
