/**
 * `phpublish publish` where the repository has GitHub's release immutability on, through the real
 * `main()` against the sandbox: the zip and bundle go onto the draft, published last; a release
 * already published gets the bundle in the attestation store only, or stops with a coded error.
 */
import { type AttestationSandbox, startAttestationSandbox } from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { type BareRemote, createBareRemote } from '@phpublish/testing/php-package-repo';
import { afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { EXIT } from '../exit-codes.js';
import { runCli } from './testing/run-cli.js';

const REPOSITORY = 'acme/hello';
let key: TestKey;
let fixture: PackagistFixture;
let services: AttestationSandbox;
let remote: BareRemote;

beforeAll(async () => {
  key = await generateTestKey('ed25519');
});

beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
  services = await startAttestationSandbox();
  services.github.addRepository(REPOSITORY, { immutableReleases: true });
  // An earlier release, published (so immutable): how a workflow's token learns the setting.
  services.github.createRelease(REPOSITORY, 'v0.9.0');
  remote = await createBareRemote();
  await fixture.repo.git(['remote', 'add', 'origin', remote.dir]);
  await fixture.repo.git(['push', '-q', 'origin', 'main']);
});

afterEach(async () => {
  await services.close();
  await fixture.cleanup();
  await remote.cleanup();
});

async function publish(attest: Record<string, unknown> = {}) {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(
    `${fixture.repo.dir}/phpublish.config.json`,
    JSON.stringify({
      attest: {
        fulcioUrl: services.sigstore.fulcioUrl,
        rekorUrl: services.sigstore.rekorUrl,
        githubApiUrl: services.github.url,
        ...attest,
      },
      packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, confirm: { timeout: 30 } },
    }),
  );
  const job = services.githubIssuer.gitHubActionsJob({ repository: REPOSITORY, sha: fixture.repo.head });
  const env = {
    ...gitEnv(),
    ...job.env,
    GITHUB_API_URL: services.github.url,
    GITHUB_TOKEN: services.github.issueToken(REPOSITORY, { contents: 'write', attestations: 'write' }),
    PACKAGIST_USERNAME: 'alice',
    PACKAGIST_API_TOKEN: fixture.alice.safeToken,
    PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
  };
  let stdout = '';
  let stderr = '';
  onTestFailed(() => console.error(`stdout:\n${stdout}\nstderr:\n${stderr}`));
  const cli = await runCli(['publish', 'v1.0.0', '--json'], { cwd: fixture.repo.dir, env });
  ({ stdout, stderr } = cli);
  const code = cli.code;
  return { code, stdout, stderr };
}

const releaseOf = (tag: string) => services.github.releases(REPOSITORY).filter((release) => release.tag === tag);

describe('phpublish publish with release immutability on', () => {
  describe('when the release tool created the release as a draft', () => {
    it('attaches the zip and bundle to the draft and publishes it last: immutable, with both', async () => {
      services.github.createRelease(REPOSITORY, 'v1.0.0', { draft: true });
      const { code, stdout, stderr } = await publish();
      expect(code).toBe(EXIT.ok);
      expect(stderr).toContain('release immutability is on');
      expect(JSON.parse(stdout).posture.attestation.stored).toEqual([
        'github-release-asset',
        'github-attestation-store',
      ]);
      const [release] = releaseOf('v1.0.0');
      expect(release).toMatchObject({ draft: false, immutable: true });
      expect(release!.assets.map((asset) => asset.name).sort()).toEqual([
        'acme-hello-1.0.0.sigstore.json',
        'acme-hello-1.0.0.zip',
      ]);
    });
  });

  describe('when the release is already published', () => {
    it('stores the bundle in the attestation store only, and says so', async () => {
      services.github.createRelease(REPOSITORY, 'v1.0.0');
      const { code, stdout, stderr } = await publish();
      expect(code).toBe(EXIT.ok);
      expect(stderr).toContain('attestation store only');
      expect(JSON.parse(stdout).posture.attestation.stored).toEqual(['github-attestation-store']);
      expect(releaseOf('v1.0.0')[0]!.assets).toEqual([]);
      expect(services.github.attestations(REPOSITORY)).toHaveLength(1);
    });

    it('stops with ATTEST_RELEASE_IMMUTABLE before signing or notifying Packagist when nothing else would hold the bundle', async () => {
      services.github.createRelease(REPOSITORY, 'v1.0.0');
      const { code, stderr } = await publish({ storeGitHubAttestation: false });
      expect(code).toBe(EXIT.failed);
      expect(stderr).toContain('ATTEST_RELEASE_IMMUTABLE');
      expect(stderr).not.toContain('signed the provenance');
      expect(fixture.packagist.requests.filter((r) => r.url === '/api/update-package')).toEqual([]);
      expect(releaseOf('v1.0.0')[0]!.assets).toEqual([]);
    });
  });
});
