import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  installWithComposer,
  type SandboxPrivatePackagist,
  sandboxAudit,
  startSandboxPrivatePackagist,
} from '@phpublish/sandbox';
import { git, gitEnv } from '@phpublish/testing/git';
import { freshGnupgHome, generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { type JobPermissions, type ReleaseJobOptions, startReleaseWorld } from '@phpublish/testing/release-job';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { beforeAll, describe, expect, it, type TestContext } from 'vitest';

// The real semantic-release CLI — both supported majors, 25 and 24.2 — and this plugin as built (the
// test command builds before testing).
const require = createRequire(import.meta.url);
const binOf = (name: string) => join(dirname(require.resolve(`${name}/package.json`)), 'bin', 'semantic-release.js');
const SEMANTIC_RELEASES = [
  { version: require('semantic-release/package.json').version as string, bin: binOf('semantic-release') },
  { version: require('semantic-release-24/package.json').version as string, bin: binOf('semantic-release-24') },
];
const PLUGIN = fileURLToPath(new URL('../dist/index.js', import.meta.url));

let key: TestKey;

beforeAll(async () => {
  key = await generateTestKey('ed25519', { passphrase: 'correct horse' });
});

/**
 * One test's release job: its own Packagist, Sigstore and GitHub stand-ins, repository, bare remote and
 * HOME (so that tests can run side by side), all removed when the test ends. The repository has a
 * `feat:` commit pushed to main, and the GitHub release of v1.0.0 exists.
 */
async function startReleaseJob(test: TestContext, bin: string, sandbox: ReleaseJobOptions['sandbox'] = {}) {
  const world = await startReleaseWorld(test, {
    tool: 'semantic-release',
    sandbox,
  });
  const { fixture, attestation, remote, home, output } = world;

  attestation.github.addRepository('acme/hello');
  // What @semantic-release/github does before this plugin's publish step: the release exists.
  attestation.github.createRelease('acme/hello', 'v1.0.0');
  await fixture.repo.git(['remote', 'add', 'origin', remote.dir]);
  await fixture.repo.commit({ 'src/Greeting.php': '<?php\n// feat\n' }, 'feat: greet in more languages');
  await fixture.repo.git(['push', '-q', '-u', 'origin', 'main']);

  async function writeReleaseConfig(
    packagist: Record<string, unknown> = {},
    attest: Record<string, unknown> = {},
    report: Record<string, unknown> = {},
  ): Promise<void> {
    const config = {
      branches: ['main'],
      repositoryUrl: `file://${remote.dir}`,
      plugins: [
        '@semantic-release/commit-analyzer',
        '@semantic-release/release-notes-generator',
        [
          PLUGIN,
          {
            attest: {
              fulcioUrl: attestation.sigstore.fulcioUrl,
              rekorUrl: attestation.sigstore.rekorUrl,
              ...(attestation.sigstore.tsaUrl ? { tsaUrl: attestation.sigstore.tsaUrl } : {}),
              githubApiUrl: attestation.github.url,
              ...attest,
            },
            report,
            packagist: {
              url: fixture.packagist.url,
              repoUrl: fixture.packagist.url,
              confirm: { timeout: 30 },
              ...packagist,
            },
          },
        ],
      ],
    };
    await writeFile(join(fixture.repo.dir, '.releaserc.json'), JSON.stringify(config));
  }

  /** A GitHub Actions release job on a push to main, with `id-token: write` and a GITHUB_TOKEN. */
  const actionsEnv = (extra: Record<string, string> = {}, permissions?: JobPermissions) =>
    world.actionsEnv({ sha: fixture.repo.head, key, extra, ...(permissions ? { permissions } : {}) });

  function semanticRelease(env: Record<string, string>, args: string[] = []) {
    return new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, ...args],
        { cwd: fixture.repo.dir, env, timeout: 120_000 },
        (error, stdout, stderr) => {
          output.text = `${stdout}\n${stderr}`;
          resolve({ code: error ? Number(error.code ?? 1) : 0, output: output.text });
        },
      );
    });
  }

  const remoteTags = async () => (await git(remote.dir, ['tag', '--list'])).split('\n').filter(Boolean);

  function expectNoSecrets(output: string): void {
    expect(output).not.toContain(fixture.alice.safeToken);
    expect(output).not.toContain('correct horse');
    for (const line of key.armoredPrivateKey.split('\n').filter((l) => l.length > 40)) {
      expect(output).not.toContain(line);
    }
  }

  return {
    fixture,
    attestation,
    remote,
    home,
    writeReleaseConfig,
    actionsEnv,
    semanticRelease,
    remoteTags,
    expectNoSecrets,
  };
}

// The two majors release side by side (each test has its own stand-ins), each major's tests one after
// another: most of a release is waiting (child processes, Packagist's retry delays), and two at a time
// keep a 2-core machine busy without stretching any release towards its timeout.
describe.concurrent.each(SEMANTIC_RELEASES)('@phpublish/semantic-release with semantic-release $version', ({ bin }) => {
  describe.sequential('when a PHP-only repository (no package.json) releases in a GitHub-Actions-like environment', () => {
    it('pushes a signed tag that GnuPG verifies, Packagist serves it at the tagged commit, Composer installs it', async (test) => {
      const {
        fixture,
        attestation,
        remote,
        home,
        writeReleaseConfig,
        actionsEnv,
        semanticRelease,
        remoteTags,
        expectNoSecrets,
      } = await startReleaseJob(test, bin);
      await writeReleaseConfig({}, {}, { releaseNotes: true });
      const { code, output } = await semanticRelease(actionsEnv());
      expect(output).toContain('Published release 1.0.0');
      expect(code).toBe(0);
      expectNoSecrets(output);

      expect(await remoteTags()).toEqual(['v1.0.0']);
      expect((await git(remote.dir, ['cat-file', '-t', 'v1.0.0'])).trim()).toBe('tag');
      const gnupg = await freshGnupgHome();
      try {
        await gnupg.importPublicKey(key.armoredPublicKey);
        // Stock git with real GnuPG (no gpg.program override).
        const verify = await git(remote.dir, ['verify-tag', '--raw', 'v1.0.0'], {
          env: { ...gitEnv(), ...gnupg.env },
        }).catch((e) => e);
        expect(verify).not.toBeInstanceOf(Error);
      } finally {
        await gnupg.cleanup();
      }

      const commit = (await git(remote.dir, ['rev-parse', 'v1.0.0^{commit}'])).trim();
      const p2 = await fixture.getJson('/p2/acme/hello.json');
      expect(JSON.stringify(p2.body)).toContain(commit);
      const work = await makeTempDir('phpublish-sr-composer-');
      try {
        const installed = await installWithComposer({
          repositoryUrl: fixture.packagist.url,
          packageName: 'acme/hello',
          version: 'v1.0.0',
          workDir: work.path,
          path: process.env['PATH'],
        });
        expect(installed.files).toContain('src/Greeting.php');
      } finally {
        await work.cleanup();
      }

      // The provenance is stored twice, and both copies verify for this repository's release workflow.
      const [asset] = attestation.github.releaseAssets('acme/hello', 'v1.0.0');
      expect(asset?.name).toBe('acme-hello-1.0.0.sigstore.json');
      const stored = attestation.github.attestations('acme/hello');
      expect(stored).toHaveLength(1);
      const { contentDigestOfRef } = await import('@phpublish/core/archive');
      const { gitHubActionsPolicy, verifyAttestation } = await import('@phpublish/core/attest');
      const { contentDigest: digest } = await contentDigestOfRef({ cwd: remote.dir, env: gitEnv(), ref: 'v1.0.0' });
      for (const bundle of [asset!.content.toString('utf8'), stored[0]!.bundle]) {
        const verified = await verifyAttestation({
          bundle: bundle as string,
          trustedRoot: attestation.sigstore.trustedRoot,
          policy: gitHubActionsPolicy({
            repository: 'acme/hello',
            workflow: '.github/workflows/release.yml',
            issuer: attestation.githubIssuer.issuer,
          }),
          subjects: { contentDigest: digest },
        });
        expect(verified.statement.subject.map((subject) => subject.name)).toEqual([
          'acme-hello-1.0.0.zip',
          'phpublish-tree-v1:acme/hello@1.0.0',
        ]);
      }

      const summary = await readFile(join(home.path, 'summary.md'), 'utf8');
      expect(summary).toContain('Release posture of `acme/hello` v1.0.0');
      expect(summary).toMatch(/✅ \| Signed tag/);
      expect(summary).toMatch(/✅ \| Attestation/);
      expect(attestation.github.releaseNotes('acme/hello', 'v1.0.0')).toContain(
        'Release posture of `acme/hello` v1.0.0',
      );
      expect(summary).toMatch(/✅ \| Packagist confirmation/);
      // Nothing was written to the repository's git configuration.
      expect(await git(fixture.repo.dir, ['config', '--local', '--list'])).not.toMatch(/gpg|signingkey/i);
    });
  });

  describe.sequential('when something is missing', () => {
    it('reports a missing Packagist token and a bad key together, and tags nothing', async (test) => {
      const { writeReleaseConfig, actionsEnv, semanticRelease, remoteTags, expectNoSecrets } = await startReleaseJob(
        test,
        bin,
      );
      await writeReleaseConfig({ mode: 'token' });
      const { code, output } = await semanticRelease(
        actionsEnv({
          PACKAGIST_API_TOKEN: '',
          PHPUBLISH_GPG_PRIVATE_KEY: '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nnot a key\n',
        }),
      );
      expect(code).not.toBe(0);
      expect(output).toContain('PACKAGIST_CREDENTIALS_MISSING');
      expect(output).toContain('SIGNING_KEY_MALFORMED');
      expect(await remoteTags()).toEqual([]);
      expectNoSecrets(output);
    });
  });

  describe.sequential('when the workflow lacks `id-token: write`', () => {
    it('stops in verifyConditions with the exact fix, and tags nothing', async (test) => {
      const { writeReleaseConfig, actionsEnv, semanticRelease, remoteTags } = await startReleaseJob(test, bin);
      await writeReleaseConfig();
      const env = actionsEnv();
      delete env['ACTIONS_ID_TOKEN_REQUEST_URL'];
      delete env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
      const { code, output } = await semanticRelease(env);
      expect(code).not.toBe(0);
      expect(output).toMatch(/ATTEST_\w+ .*id-token: write/);
      expect(await remoteTags()).toEqual([]);
    });
  });

  describe.sequential('when the job was started for an earlier commit than the one it would release', () => {
    it('stops in verifyRelease with ATTEST_OTHER_COMMIT (the attestation could not name the tagged commit), and tags nothing', async (test) => {
      const { fixture, writeReleaseConfig, actionsEnv, semanticRelease, remoteTags } = await startReleaseJob(test, bin);
      await writeReleaseConfig();
      const started = (await git(fixture.repo.dir, ['rev-parse', 'HEAD~1'])).trim();
      const { code, output } = await semanticRelease(actionsEnv({ GITHUB_SHA: started }));
      expect(code).not.toBe(0);
      expect(output).toContain('ATTEST_OTHER_COMMIT');
      expect(output).toContain(started);
      expect(await remoteTags()).toEqual([]);
    });
  });

  describe.sequential('when run with --dry-run', () => {
    it('creates nothing and says what it would do', async (test) => {
      const { fixture, writeReleaseConfig, actionsEnv, semanticRelease, remoteTags } = await startReleaseJob(test, bin);
      await writeReleaseConfig();
      const { code, output } = await semanticRelease(actionsEnv(), ['--dry-run']);
      expect(code).toBe(0);
      expect(output).toMatch(
        /would make v1\.0\.0 an OpenPGP-signed tag \(key [0-9A-F]{40}\), then call Packagist update-package/,
      );
      expect(await remoteTags()).toEqual([]);
      expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
    });
  });

  describe.sequential('when Packagist fails during publish and the release is run again', () => {
    it('finishes the tagged release on the re-run without tagging or publishing twice', async (test) => {
      const { fixture, writeReleaseConfig, actionsEnv, semanticRelease, remoteTags } = await startReleaseJob(test, bin);
      await writeReleaseConfig();
      fixture.packagist.injectFault({ path: '/api/update-package', times: 4, fault: { status: 503, body: 'down' } });
      const first = await semanticRelease(actionsEnv());
      expect(first.code).not.toBe(0);
      expect(first.output).toContain('PACKAGIST_UNAVAILABLE');
      expect(await remoteTags()).toEqual(['v1.0.0']);

      const second = await semanticRelease(actionsEnv());
      expect(second.code).toBe(0);
      expect(second.output).toContain('finishing v1.0.0');
      expect(second.output).toContain('Packagist serves acme/hello v1.0.0');
      expect(await remoteTags()).toEqual(['v1.0.0']);

      // A third run has nothing left to do.
      const third = await semanticRelease(actionsEnv());
      expect(third.code).toBe(0);
      expect(third.output).not.toContain('finishing');
    });
  });

  describe.sequential('when Packagist goes down while the release is being confirmed', () => {
    it('keeps confirming through the outage and finishes the release', async (test) => {
      const { fixture, writeReleaseConfig, actionsEnv, semanticRelease } = await startReleaseJob(test, bin);
      await writeReleaseConfig();
      // verifyConditions, verifyRelease and publish's own first look read the metadata; then it fails
      // for the first confirmation polls (each poll retries 4 times before counting as an outage).
      fixture.packagist.injectFault({
        path: '/p2/acme/hello.json',
        skip: 3,
        times: 5,
        fault: { status: 503, body: 'down' },
      });
      const { code, output } = await semanticRelease(actionsEnv());
      expect(code).toBe(0);
      expect(output).toContain('HTTP 503 from');
      expect(output).toContain('Packagist serves acme/hello v1.0.0');
    });
  });

  describe.sequential('when Packagist does not serve the release before the confirm timeout', () => {
    it('fails with PACKAGIST_CONFIRM_TIMEOUT; a re-run after Packagist caught up tags and sends nothing again', async (test) => {
      // Packagist accepts the update but its crawl never runs while we wait.
      const { fixture, writeReleaseConfig, actionsEnv, semanticRelease, remoteTags } = await startReleaseJob(
        test,
        bin,
        {
          crawlDelayMs: 3_600_000,
        },
      );
      // The shortest confirm timeout: nothing is crawled while it runs, so a longer one only waits.
      await writeReleaseConfig({ confirm: { timeout: 1 } });
      const first = await semanticRelease(actionsEnv());
      expect(first.code).not.toBe(0);
      expect(first.output).toContain('PACKAGIST_CONFIRM_TIMEOUT');
      expect(first.output).toContain('did not finish. Run the release again');
      expect(await remoteTags()).toEqual(['v1.0.0']);

      // Packagist catches up (its crawl of the pushed tag runs), then the release job is re-run.
      await fixture.packagist.crawlNow('acme/hello');
      const second = await semanticRelease(actionsEnv());
      expect(second.code).toBe(0);
      expect(second.output).not.toContain('finishing');
      expect(await remoteTags()).toEqual(['v1.0.0']);
      const updates = fixture.packagist.requests.filter((r) => r.url === '/api/update-package');
      expect(updates).toHaveLength(1);
    });
  });

  describe.sequential('when Packagist offers the OIDC token exchange (trusted publishing, docs/oidc.md)', () => {
    /** A release job whose Packagist trusts its GitHub issuer's tokens from acme/hello's release.yml. */
    async function startOidcReleaseJob(test: TestContext) {
      /** Filled once the job's issuer exists: the exchange reads its trusted issuers when a token arrives. */
      const trustedIssuers: { issuer: string; jwksUrl: string }[] = [];
      const job = await startReleaseJob(test, bin, { offerOidcExchange: { issuers: trustedIssuers } });
      trustedIssuers.push(job.attestation.githubIssuer);
      job.fixture.packagist.addTrustedPublisher({
        package: 'acme/hello',
        repository: 'acme/hello',
        workflow: 'release.yml',
      });
      return job;
    }

    const expectNoOidcSecrets = (output: string, env: Record<string, string>) => {
      expect(output).not.toMatch(/pkgtp_/);
      expect(output).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
      expect(output).not.toContain(env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']);
    };

    it('releases with OIDC only: no PACKAGIST_* variable at all, and the posture says no secret is stored', async (test) => {
      const { fixture, home, writeReleaseConfig, actionsEnv, semanticRelease, expectNoSecrets } =
        await startOidcReleaseJob(test);
      await writeReleaseConfig({ oidc: 'required' });
      const env = actionsEnv();
      delete env['PACKAGIST_USERNAME'];
      delete env['PACKAGIST_API_TOKEN'];
      const { code, output } = await semanticRelease(env);
      expect(code).toBe(0);
      expect(output).toContain('short-lived credential from the OIDC token exchange');
      expect(output).toContain('Packagist serves acme/hello v1.0.0');
      expect(fixture.packagist.requests.filter((r) => r.url === '/api/update-package')).toHaveLength(1);
      const summary = await readFile(join(home.path, 'summary.md'), 'utf8');
      expect(summary).toContain(
        '| ✅ | Packagist notification | update-package with a short-lived OIDC credential (trusted publishing: no stored secret) |',
      );
      expectNoSecrets(output);
      expectNoOidcSecrets(output, env);
    });

    it('auto, with the token still set: never sends it and says to remove it from the CI secrets', async (test) => {
      const { fixture, writeReleaseConfig, actionsEnv, semanticRelease, expectNoSecrets } =
        await startOidcReleaseJob(test);
      await writeReleaseConfig();
      const env = actionsEnv();
      const { code, output } = await semanticRelease(env);
      expect(code).toBe(0);
      expect(output).toMatch(/PACKAGIST_API_TOKEN \(Packagist’s apiToken\) is deprecated/);
      expect(fixture.packagist.sawSecret(fixture.alice.safeToken)).toBe(false);
      expectNoSecrets(output);
      expectNoOidcSecrets(output, env);
    });

    it('auto, when no trusted publisher matches: falls back to the token with a warning, and the posture says it is deprecated', async (test) => {
      const { fixture, attestation, home, writeReleaseConfig, actionsEnv, semanticRelease } =
        await startOidcReleaseJob(test);
      await writeReleaseConfig();
      const env = actionsEnv({ GITHUB_WORKFLOW_REF: 'acme/hello/.github/workflows/other.yml@refs/heads/main' });
      // The token service's identity is the job's: a job of another workflow file.
      const job = attestation.githubIssuer.gitHubActionsJob({
        repository: 'acme/hello',
        ref: 'refs/heads/main',
        sha: fixture.repo.head,
        workflowPath: '.github/workflows/other.yml',
      });
      Object.assign(env, job.env);
      const { code, output } = await semanticRelease(env);
      expect(code).toBe(0);
      expect(output).toMatch(/Packagist: OIDC not used \(Packagist refused .*\); using the API token\./);
      const summary = await readFile(join(home.path, 'summary.md'), 'utf8');
      expect(summary).toContain('long-lived API token, deprecated: Packagist offers OIDC trusted publishing');
      expectNoOidcSecrets(output, env);
    });
  });

  describe.sequential('when packagist.oidc is required and Packagist offers no exchange (packagist.org today)', () => {
    it('fails with PACKAGIST_OIDC_NOT_OFFERED and never calls update-package', async (test) => {
      const { fixture, writeReleaseConfig, actionsEnv, semanticRelease, expectNoSecrets } = await startReleaseJob(
        test,
        bin,
      );
      await writeReleaseConfig({ oidc: 'required' });
      const { code, output } = await semanticRelease(actionsEnv());
      expect(code).not.toBe(0);
      expect(output).toContain('PACKAGIST_OIDC_NOT_OFFERED');
      expect(fixture.packagist.requests.filter((r) => r.url === '/api/update-package')).toEqual([]);
      expectNoSecrets(output);
    });
  });
});

// Private Packagist goes through the same core session as every other mode; one semantic-release
// major is enough to show the plugin carries it (the hooks do not depend on the mode). It runs beside
// the two majors' lanes.
describe.concurrent(`@phpublish/semantic-release ${SEMANTIC_RELEASES[0]!.version} with Private Packagist trusted publishing`, () => {
  const ORG = 'acme-org';
  it('publishes the attested zip as the artifact with OIDC only: no Packagist variable, no stored secret', async (test) => {
    const { fixture, attestation, home, writeReleaseConfig, actionsEnv, semanticRelease, remoteTags, expectNoSecrets } =
      await startReleaseJob(test, SEMANTIC_RELEASES[0]!.bin);
    const pp: SandboxPrivatePackagist = await startSandboxPrivatePackagist({ githubIssuer: attestation.githubIssuer });
    test.onTestFinished(() => pp.close());
    pp.addTrustedPublisher(ORG, {
      packageName: 'acme/hello',
      owner: 'acme',
      repository: 'hello',
      workflow: 'release.yml',
    });
    await writeReleaseConfig({
      mode: 'private-packagist',
      privatePackagist: { organization: ORG, url: pp.url, repositoryUrl: pp.repositoryUrl(ORG) },
    });
    const env = actionsEnv();
    delete env['PACKAGIST_USERNAME'];
    delete env['PACKAGIST_API_TOKEN'];
    const { code, output } = await semanticRelease(env);
    expect(code).toBe(0);
    expect(await remoteTags()).toEqual(['v1.0.0']);
    const zip = attestation.github.releaseAssets('acme/hello', 'v1.0.0').find((a) => a.name.endsWith('.zip'))!;
    expect(pp.versions(ORG, 'acme/hello')).toEqual([
      { version: '1.0.0', sha256: createHash('sha256').update(zip.content).digest('hex') },
    ]);
    const summary = await readFile(join(home.path, 'summary.md'), 'utf8');
    expect(summary).toContain('artifact upload to Private Packagist with a short-lived OIDC credential');
    expect(fixture.packagist.requests.filter((r) => r.url.startsWith('/api/'))).toEqual([]);
    for (const secret of sandboxAudit.issuedSecrets) expect(output.includes(secret)).toBe(false);
    expect(output).not.toMatch(/Signature=|eyJ[\w-]+\.eyJ[\w-]+\./);
    expectNoSecrets(output);
  });
});
