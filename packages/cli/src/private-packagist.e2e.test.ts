import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import {
  type AttestationSandbox,
  installWithComposer,
  type SandboxPrivatePackagist,
  sandboxAudit,
  startAttestationSandbox,
  startSandboxPrivatePackagist,
} from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import {
  type BareRemote,
  createBareRemote,
  createPhpPackageRepo,
  type PhpPackageRepo,
} from '@phpublish/testing/php-package-repo';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { runCli } from './commands/testing/run-cli.js';
import { EXIT } from './exit-codes.js';

const ORG = 'acme-org';
let key: TestKey;
let repo: PhpPackageRepo;
let services: AttestationSandbox;
let pp: SandboxPrivatePackagist;
let remote: BareRemote;

beforeAll(async () => {
  key = await generateTestKey('ed25519');
});

beforeEach(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: [] });
  services = await startAttestationSandbox();
  services.github.addRepository('acme/hello');
  services.github.createRelease('acme/hello', 'v1.0.0');
  pp = await startSandboxPrivatePackagist({ githubIssuer: services.githubIssuer });
  pp.addTrustedPublisher(ORG, {
    packageName: 'acme/hello',
    owner: 'acme',
    repository: 'hello',
    workflow: 'release.yml',
  });
  remote = await createBareRemote();
  await repo.git(['remote', 'add', 'origin', remote.dir]);
  await repo.git(['push', '-q', 'origin', 'main']);
  await writeFile(
    `${repo.dir}/phpublish.config.json`,
    JSON.stringify({
      attest: {
        fulcioUrl: services.sigstore.fulcioUrl,
        rekorUrl: services.sigstore.rekorUrl,
        githubApiUrl: services.github.url,
      },
      packagist: {
        mode: 'private-packagist',
        privatePackagist: { organization: ORG, url: pp.url, repositoryUrl: pp.repositoryUrl(ORG) },
        confirm: { timeout: 30 },
      },
    }),
  );
});

afterEach(async () => {
  await pp.close();
  await services.close();
  await repo.cleanup();
  await remote.cleanup();
});

/** A GitHub Actions job of acme/hello's release workflow: no Packagist variable at all. */
function env(job: { workflowPath?: string } = {}): Record<string, string> {
  const ci = services.githubIssuer.gitHubActionsJob({ repository: 'acme/hello', sha: repo.head, ...job });
  return {
    ...gitEnv(),
    ...ci.env,
    GITHUB_API_URL: services.github.url,
    GITHUB_TOKEN: services.github.issueToken('acme/hello', { contents: 'write', attestations: 'write' }),
    PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
  };
}

async function run(argv: string[], environment: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  onTestFailed(() => console.error(`stdout:\n${stdout}\nstderr:\n${stderr}`));
  const cli = await runCli(argv, { cwd: repo.dir, env: environment });
  ({ stdout, stderr } = cli);
  const code = cli.code;
  return { code, stdout, stderr };
}

/** No issued token, key, secret or signature in anything phpublish printed. */
function expectNoSecrets(...outputs: string[]) {
  const secrets = [...sandboxAudit.issuedSecrets];
  const signatures = pp.requests.map((r) => r.headers['authorization']).filter((h) => h && h !== '<redacted>');
  expect(signatures).toEqual([]);
  for (const output of outputs) {
    for (const secret of secrets) expect(output.includes(secret), 'an issued secret was printed').toBe(false);
    expect(output).not.toMatch(/Signature=/);
    expect(output).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\./);
  }
}

describe('phpublish publish with packagist.mode private-packagist', () => {
  it('publishes the attested zip as the artifact with OIDC only, Composer installs it, a re-run sends nothing', async () => {
    const environment = env();
    expect(Object.keys(environment).filter((name) => name.startsWith('PACKAGIST_'))).toEqual([]);

    const first = await run(['publish', 'v1.0.0', '--json'], environment);
    expect(first.code).toBe(EXIT.ok);
    const { posture, zip } = JSON.parse(first.stdout);
    expect(posture.packagist).toMatchObject({
      notified: 'artifact-package-created',
      confirmation: 'served',
      credential: 'oidc',
    });
    expect(posture.attestation.stored).toEqual(['github-release-asset', 'github-attestation-store']);
    // What Private Packagist serves is byte for byte the zip that was attested.
    expect(pp.versions(ORG, 'acme/hello')).toEqual([{ version: '1.0.0', sha256: zip.sha256 }]);
    const attached = services.github.releaseAssets('acme/hello', 'v1.0.0').find((a) => a.name === zip.name)!;
    expect(createHash('sha256').update(attached.content).digest('hex')).toBe(zip.sha256);

    const work = await makeTempDir('phpublish-pp-e2e-');
    try {
      const installed = await installWithComposer({
        repositoryUrl: pp.repositoryUrl(ORG),
        packageName: 'acme/hello',
        version: 'v1.0.0',
        workDir: work.path,
        path: process.env['PATH'],
      });
      expect(installed.files).toContain('src/Hello.php');
    } finally {
      await work.cleanup();
    }

    const second = await run(['publish', 'v1.0.0', '--json'], env());
    expect(second.code).toBe(EXIT.ok);
    expect(JSON.parse(second.stdout).posture.packagist.notified).toBe('already-served');
    expect(pp.requests.filter((r) => r.method === 'POST' && r.url.startsWith('/api/packages'))).toHaveLength(3);
    expectNoSecrets(first.stdout, first.stderr, second.stdout, second.stderr);
  });

  it('adds the next version to the existing artifact package', async () => {
    expect((await run(['publish', 'v1.0.0', '--json'], env())).code).toBe(EXIT.ok);
    await repo.commit({ 'src/More.php': '<?php // more\n' }, 'More');
    await repo.git(['push', '-q', 'origin', 'main']);
    services.github.createRelease('acme/hello', 'v1.1.0');
    const next = await run(['publish', 'v1.1.0', '--json'], env());
    expect(next.code).toBe(EXIT.ok);
    expect(JSON.parse(next.stdout).posture.packagist.notified).toBe('artifact-uploaded');
    expect(
      pp
        .versions(ORG, 'acme/hello')
        .map((v) => v.version)
        .sort(),
    ).toEqual(['1.0.0', '1.1.0']);
  });

  it('stops with PRIVATE_PACKAGIST_NO_TRUSTED_PUBLISHER when another workflow releases', async () => {
    const { code, stderr, stdout } = await run(
      ['publish', 'v1.0.0'],
      env({ workflowPath: '.github/workflows/ci.yml' }),
    );
    expect(code).toBe(EXIT.failed);
    expect(stderr).toContain('PRIVATE_PACKAGIST_NO_TRUSTED_PUBLISHER');
    expect(stderr).toContain('acme/hello/.github/workflows/ci.yml');
    expect(pp.versions(ORG, 'acme/hello')).toEqual([]);
    expectNoSecrets(stdout, stderr);
  });

  it('doctor reports the OIDC path as ready, and that the publisher is checked at the exchange', async () => {
    const { code, stdout } = await run(['doctor', '--json'], env());
    expect(code).toBe(EXIT.ok);
    const rows = JSON.parse(stdout) as { area: string; status: string; detail: string }[];
    expect(rows.find((row) => row.area === 'Packagist')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('short-lived credential (no stored secret)'),
    });
    expect(pp.issuedKeys).toEqual([]);
  });

  it('names the missing id-token: write permission in preflight, before any tag', async () => {
    const environment = env();
    delete environment['ACTIONS_ID_TOKEN_REQUEST_URL'];
    delete environment['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
    const { code, stderr } = await run(['publish', 'v1.0.0'], environment);
    expect(code).toBe(EXIT.failed);
    expect(stderr).toContain('PRIVATE_PACKAGIST_ID_TOKEN_PERMISSION_MISSING');
    expect(await repo.git(['ls-remote', '--tags', 'origin'])).toBe('');
  });

  it('says in preflight that Private Packagist accepts GitHub Actions only', async () => {
    const ci = services.gitlabIssuer.gitLabCiJob({ projectPath: 'acme/hello', sha: repo.head });
    const { code, stderr } = await run(['publish', 'v1.0.0', '--dry-run'], {
      ...gitEnv(),
      ...ci.env,
      PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
    });
    expect(code).toBe(EXIT.failed);
    expect(stderr).toContain('PRIVATE_PACKAGIST_CI_UNSUPPORTED');
  });

  it('stops with PRIVATE_PACKAGIST_ORGANIZATION_MISSING in preflight when no organisation is set', async () => {
    await writeFile(
      `${repo.dir}/phpublish.config.json`,
      JSON.stringify({ attest: { enabled: false }, packagist: { mode: 'private-packagist' } }),
    );
    const { code, stderr } = await run(['publish', 'v1.0.0', '--dry-run'], env());
    expect(code).toBe(EXIT.failed);
    expect(stderr).toContain('PRIVATE_PACKAGIST_ORGANIZATION_MISSING');
  });
});

describe('phpublish publish of a VCS package on Private Packagist', () => {
  beforeEach(async () => {
    // Private Packagist reads the package from its repository (the bare remote the tag is pushed to).
    pp.addVcsPackage(ORG, { name: 'acme/hello', repositoryUrl: 'https://gitlab.com/acme/hello', gitDir: remote.dir });
    await writeFile(
      `${repo.dir}/phpublish.config.json`,
      JSON.stringify({
        attest: { enabled: false },
        packagist: {
          mode: 'private-packagist',
          privatePackagist: {
            organization: ORG,
            url: pp.url,
            repositoryUrl: pp.repositoryUrl(ORG),
            packageType: 'vcs',
          },
          confirm: { timeout: 30 },
        },
      }),
    );
  });

  it('releases from GitLab CI with no credential at all: the pushed signed tag is picked up and confirmed', async () => {
    const ci = services.gitlabIssuer.gitLabCiJob({ projectPath: 'acme/hello', sha: repo.head });
    const environment = { ...gitEnv(), ...ci.env, PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey };
    expect(Object.keys(environment).filter((name) => /PACKAGIST|ACTIONS_ID_TOKEN/.test(name))).toEqual([]);

    const { code, stdout, stderr } = await run(['publish', 'v1.0.0', '--json'], environment);
    expect(code).toBe(EXIT.ok);
    const { posture } = JSON.parse(stdout);
    expect(posture.packagist).toMatchObject({ notified: 'repository-sync', confirmation: 'served' });
    expect(posture.packagist.credential).toBeUndefined();
    expect(pp.vcsVersions(ORG, 'acme/hello')).toEqual([{ version: 'v1.0.0', reference: repo.head }]);
    expect(pp.requests.filter((r) => r.url.startsWith('/api/'))).toEqual([]);
    expect(stderr).toMatch(/nothing is sent, no credential is used/);

    const again = await run(['publish', 'v1.0.0'], environment);
    expect(again.code).toBe(EXIT.ok);
    expect(`${again.stdout}${again.stderr}`).toMatch(/Private Packagist already serves acme\/hello v1.0.0 at /);
    expectNoSecrets(stdout, stderr, again.stdout, again.stderr);
  });

  it('doctor from GitLab CI says a VCS package needs no credential, and asks Private Packagist nothing', async () => {
    const ci = services.gitlabIssuer.gitLabCiJob({ projectPath: 'acme/hello', sha: repo.head });
    const environment = { ...gitEnv(), ...ci.env, PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey };
    const { code, stdout } = await run(['doctor', '--json'], environment);
    expect(code).toBe(EXIT.ok);
    const rows = JSON.parse(stdout) as { area: string; status: string; detail: string }[];
    expect(rows.find((row) => row.area === 'Packagist')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('a VCS package, picked up from the repository'),
    });
    expect(pp.requests.filter((r) => r.url.startsWith('/api/'))).toEqual([]);
  });
});
