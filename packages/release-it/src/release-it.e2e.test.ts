import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VerifyReport } from '@phpublish/core/verify';
import { installWithComposer, type SandboxGitHub, startSandboxGitHub } from '@phpublish/sandbox';
import { git, gitEnv } from '@phpublish/testing/git';
import { freshGnupgHome, generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { type JobPermissions, startReleaseWorld } from '@phpublish/testing/release-job';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { beforeAll, describe, expect, it, type TestContext } from 'vitest';

// The real release-it CLI — the newest and the oldest supported major, 21 and 20 — and this plugin
// as built (the test command builds before testing).
const require = createRequire(import.meta.url);
const binOf = (name: string) => join(dirname(require.resolve(`${name}/package.json`)), 'bin', 'release-it.js');
const RELEASE_ITS = [
  { version: require('release-it/package.json').version as string, bin: binOf('release-it') },
  { version: require('release-it-20/package.json').version as string, bin: binOf('release-it-20') },
];
const PLUGIN = fileURLToPath(new URL('../dist/index.js', import.meta.url));
/** The phpublish CLI as built, for `phpublish verify`. */
const PHPUBLISH = fileURLToPath(new URL('../../cli/dist/bin/phpublish.js', import.meta.url));

let key: TestKey;

beforeAll(async () => {
  key = await generateTestKey('ed25519', { passphrase: 'correct horse' });
});

/** `PATCH /repos/acme/hello/releases/:id` on the Enterprise-style sandbox, trusting its CA; the status. */
function patchRelease(github: SandboxGitHub, token: string, id: number, body: Record<string, unknown>) {
  return new Promise<number>((resolve, reject) => {
    const request = httpsRequest(
      `${github.apiUrl}/repos/acme/hello/releases/${id}`,
      {
        method: 'PATCH',
        ca: github.caPem,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

/**
 * One test's release job: its own Packagist, Sigstore and GitHub stand-ins, repository, bare remote and
 * HOME (so that tests can run side by side), all removed when the test ends. The repository has a
 * `feat:` commit pushed to main, and the GitHub release of v1.0.0 exists.
 */
async function startReleaseJob(test: TestContext, bin: string) {
  const world = await startReleaseWorld(test, {
    tool: 'release-it',
  });
  const { fixture, attestation, remote, home, output: shownOnFailure } = world;
  /** Adds to what is shown when the test fails (the last release-it run's output and more). */
  const addToOutput = (text: string) => {
    shownOnFailure.text += text;
  };

  attestation.github.addRepository('acme/hello');
  // What release-it's GitHub plugin does before this plugin's release step: the release exists.
  attestation.github.createRelease('acme/hello', 'v1.0.0');
  await fixture.repo.git(['remote', 'add', 'origin', remote.dir]);
  await fixture.repo.commit({ 'src/Greeting.php': '<?php\n// feat\n' }, 'feat: greet in more languages');
  await fixture.repo.git(['push', '-q', '-u', 'origin', 'main']);

  /**
   * The release-it configuration of a PHP-only repository: no package.json, the version from git tags.
   * `releaseIt`: release-it's own options that replace these (e.g. `github`).
   */
  async function writeReleaseConfig(
    packagist: Record<string, unknown> = {},
    attest: Record<string, unknown> = {},
    report: Record<string, unknown> = {},
    releaseIt: Record<string, unknown> = {},
  ): Promise<void> {
    const config = {
      npm: false,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: release-it's own template syntax
      git: { tagName: 'v${version}', commit: false },
      github: { release: false },
      // What the steps around release-it's tag step see of the environment.
      hooks: {
        'before:init': `env > ${join(home.path, 'before-init.env')}`,
        'after:release': `env > ${join(home.path, 'after-release.env')}`,
      },
      plugins: {
        [PLUGIN]: {
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
      },
      ...releaseIt,
    };
    // Outside the repository, so that release-it's clean-working-directory check passes.
    await writeFile(configFile(), JSON.stringify(config));
  }

  const configFile = () => join(home.path, 'release-it.json');

  /** A GitHub Actions release job on a push to main, with `id-token: write` and a GITHUB_TOKEN. */
  const actionsEnv = (extra: Record<string, string> = {}, permissions?: JobPermissions) =>
    world.actionsEnv({ sha: fixture.repo.head, key, extra, ...(permissions ? { permissions } : {}) });

  /** `release-it 1.0.0 --ci` (plus `args`) in the repository, with the configuration above. */
  function releaseIt(env: Record<string, string>, args: string[] = [], version: string[] = ['1.0.0']) {
    return new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, ...version, '--ci', '--config', configFile(), ...args],
        { cwd: fixture.repo.dir, env, timeout: 120_000 },
        (error, stdout, stderr) => {
          shownOnFailure.text = `${stdout}\n${stderr}`;
          resolve({ code: error ? Number(error.code ?? 1) : 0, output: shownOnFailure.text });
        },
      );
    });
  }

  /**
   * `release-it 1.0.0 --no-ci` on a pseudo-terminal (util-linux `script`), answering each confirm
   * prompt whose text contains a key of `answers` once, with its value.
   */
  function releaseItInteractively(env: Record<string, string>, answers: Record<string, 'y' | 'n'>) {
    const command = [process.execPath, bin, '1.0.0', '--no-ci', '--config', configFile()]
      .map((part) => `'${part}'`)
      .join(' ');
    return new Promise<{ code: number; output: string }>((resolve) => {
      const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: fixture.repo.dir, env });
      const pending = new Map(Object.entries(answers));
      let output = '';
      const timer = setTimeout(() => child.kill(), 120_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        for (const [prompt, answer] of pending) {
          if (!output.includes(prompt)) continue;
          pending.delete(prompt);
          child.stdin.write(`${answer}\r`);
        }
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        shownOnFailure.text = output;
        resolve({ code: code ?? 1, output });
      });
    });
  }

  const remoteTags = async () => (await git(remote.dir, ['tag', '--list'])).split('\n').filter(Boolean);

  function expectNoSecrets(output: string): void {
    expect(output).not.toContain(fixture.alice.safeToken);
    expect(output).not.toContain('correct horse');
    for (const line of key.armoredPrivateKey.split('\n').filter((l) => l.length > 40))
      expect(output).not.toContain(line);
  }

  /**
   * `phpublish verify acme/hello v1.0.0 --json` with the CLI as built, and a policy that trusts the test key
   * and the release workflow. git fetches the tag from `bareRemote` in place of the repository's public URL.
   */
  async function phpublishVerify(input: { githubApiUrl: string; bareRemote: string; env?: Record<string, string> }) {
    await writeFile(join(home.path, 'signing-key.asc'), key.armoredPublicKey);
    await writeFile(join(home.path, 'trusted_root.json'), JSON.stringify(attestation.sigstore.trustedRoot));
    const policyFile = join(home.path, 'phpublish.policy.json');
    await writeFile(
      policyFile,
      JSON.stringify({
        packagistUrl: fixture.packagist.url,
        githubApiUrl: input.githubApiUrl,
        trustedRoot: 'trusted_root.json',
        packages: {
          'acme/hello': {
            keys: ['signing-key.asc'],
            identities: [
              {
                issuer: attestation.githubIssuer.issuer,
                repository: 'acme/hello',
                workflow: '.github/workflows/release.yml',
                ref: 'refs/heads/main',
              },
            ],
          },
        },
      }),
    );
    const env = gitEnv({
      HOME: home.path,
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_1: `url.${input.bareRemote}.insteadOf`,
      GIT_CONFIG_VALUE_1: 'https://github.com/acme/hello.git',
      ...input.env,
    });
    return new Promise<{ code: number; report: VerifyReport | undefined; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [PHPUBLISH, 'verify', 'acme/hello', 'v1.0.0', '--policy', policyFile, '--json'],
        { cwd: home.path, env, timeout: 120_000 },
        (error, stdout, stderr) => {
          let report: VerifyReport | undefined;
          try {
            report = JSON.parse(stdout) as VerifyReport;
          } catch {
            report = undefined;
          }
          resolve({ code: error ? Number(error.code ?? 1) : 0, report, output: `${stdout}\n${stderr}` });
        },
      );
    });
  }

  return {
    fixture,
    attestation,
    remote,
    home,
    addToOutput,
    writeReleaseConfig,
    actionsEnv,
    releaseIt,
    releaseItInteractively,
    remoteTags,
    expectNoSecrets,
    phpublishVerify,
  };
}

// The two majors release side by side (each test has its own stand-ins), each major's tests one after
// another: most of a release is waiting (child processes, Packagist's retry delays), and two at a time
// keep a 2-core machine busy without stretching any release towards its timeout.
describe.concurrent.each(RELEASE_ITS)('@phpublish/release-it with release-it $version', ({ bin }) => {
  describe.sequential('when a PHP-only repository (no package.json) releases in a GitHub-Actions-like environment', () => {
    it('pushes a signed tag that GnuPG verifies, Packagist serves it at the tagged commit, the attestation verifies', async (test) => {
      const {
        fixture,
        attestation,
        remote,
        home,
        writeReleaseConfig,
        actionsEnv,
        releaseIt,
        remoteTags,
        expectNoSecrets,
      } = await startReleaseJob(test, bin);
      await writeReleaseConfig();
      const { code, output } = await releaseIt(actionsEnv());
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
      expect(commit).toBe(fixture.repo.head);
      const p2 = await fixture.getJson('/p2/acme/hello.json');
      expect(JSON.stringify(p2.body)).toContain(commit);
      const work = await makeTempDir('phpublish-ri-composer-');
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

      // The provenance is stored, and it verifies for this repository's release workflow.
      const stored = attestation.github.attestations('acme/hello');
      expect(stored).toHaveLength(1);
      const { contentDigestOfRef } = await import('@phpublish/core/archive');
      const { gitHubActionsPolicy, verifyAttestation } = await import('@phpublish/core/attest');
      const { contentDigest: digest } = await contentDigestOfRef({ cwd: remote.dir, env: gitEnv(), ref: 'v1.0.0' });
      const verified = await verifyAttestation({
        bundle: stored[0]!.bundle as string,
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

      const summary = await readFile(join(home.path, 'summary.md'), 'utf8');
      expect(summary).toContain('Release posture of `acme/hello` v1.0.0');
      expect(summary).toMatch(/✅ \| Signed tag/);
      expect(summary).toMatch(/✅ \| Attestation/);
      expect(summary).toMatch(/✅ \| Packagist confirmation/);
      // Nothing was written to the repository's git configuration.
      expect(await git(fixture.repo.dir, ['config', '--local', '--list'])).not.toMatch(/gpg|signingkey/i);
      // The signing configuration is set for release-it's git step and gone before anything runs after it.
      for (const file of ['before-init.env', 'after-release.env']) {
        const env = await readFile(join(home.path, file), 'utf8');
        expect(env).toContain('GITHUB_TOKEN'); // the hook ran with the release's environment
        expect(env).not.toMatch(/gpgSign|signingkey|gpg\.program|PHPUBLISH_TAG_MESSAGE/i);
      }
    });
  });

  describe.sequential('when release-it’s GitHub plugin creates the release, on a GitHub Enterprise–style host', () => {
    /** A release job whose repository's origin is served as acme/hello by an HTTPS, Enterprise-style GitHub. */
    async function startEnterpriseJob(test: TestContext) {
      const job = await startReleaseJob(test, bin);
      const enterprise: SandboxGitHub = await startSandboxGitHub({ tls: true });
      test.onTestFinished(() => enterprise.close());
      enterprise.addRepository('acme/hello');
      /** The bare remote, at …/acme/hello.git: release-it names the repository after it, as it would after a URL. */
      const origin = join(job.home.path, 'acme', 'hello.git');
      await git(job.home.path, ['clone', '--quiet', '--bare', job.remote.dir, origin]);
      await job.fixture.repo.git(['remote', 'set-url', 'origin', origin]);
      return { ...job, enterprise, origin };
    }

    it('attaches the bundle and the zip to the release release-it created, and phpublish verify passes', async (test) => {
      const {
        attestation,
        home,
        addToOutput,
        writeReleaseConfig,
        actionsEnv,
        releaseIt,
        expectNoSecrets,
        phpublishVerify,
        enterprise,
        origin,
      } = await startEnterpriseJob(test);
      // As GitHub Enterprise users configure release-it: `github.host`; release-it then calls https://<host>/api/v3.
      await writeReleaseConfig(
        {},
        // Only on the release (not in the attestation store too): phpublish verify must find it there.
        { githubApiUrl: enterprise.apiUrl, storeGitHubAttestation: false },
        {},
        { github: { release: true, host: enterprise.host, tokenRef: 'GITHUB_TOKEN' } },
      );
      const token = enterprise.issueToken('acme/hello', { contents: 'write' });
      const trustCa = { NODE_EXTRA_CA_CERTS: enterprise.caFile! };
      const { code, output } = await releaseIt(
        actionsEnv({ GITHUB_API_URL: enterprise.apiUrl, GITHUB_TOKEN: token, ...trustCa }),
      );
      expect(code).toBe(0);
      expectNoSecrets(output);
      expect(output).not.toContain(token);
      expect((await git(origin, ['tag', '--list'])).trim()).toBe('v1.0.0');

      // release-it's GitHub plugin created the release (nothing stood in for it)…
      const creations = enterprise.requests.filter(
        (r) => r.method === 'POST' && r.url === '/api/v3/repos/acme/hello/releases',
      );
      expect(creations).toHaveLength(1);
      expect(creations[0]!.headers['user-agent']).toMatch(/^release-it\//);
      const releases = enterprise.releases('acme/hello');
      expect(releases).toHaveLength(1);
      const release = releases[0]!;
      expect(release).toMatchObject({ tag: 'v1.0.0', name: 'Release 1.0.0', draft: false });

      // …and phpublish attached the bundle and the zip to that release, through the Enterprise uploads path.
      expect(release.assets.map((asset) => asset.name).sort()).toEqual([
        'acme-hello-1.0.0.sigstore.json',
        'acme-hello-1.0.0.zip',
      ]);
      const uploads = enterprise.requests.filter((r) => r.method === 'POST' && r.url.startsWith('/api/uploads/'));
      expect(uploads.map((r) => r.url.split('?')[0])).toEqual([
        `/api/uploads/repos/acme/hello/releases/${release.id}/assets`,
        `/api/uploads/repos/acme/hello/releases/${release.id}/assets`,
      ]);
      const bundle = release.assets.find((asset) => asset.name.endsWith('.sigstore.json'))!;
      const bundleUrl = `https://${enterprise.host}/_storage/release-assets/${bundle.id}`;
      expect(output).toContain(`stored (github-release-asset) at ${bundleUrl}`);
      expect(output).toContain('Dist zip: attached to release v1.0.0');
      const summary = await readFile(join(home.path, 'summary.md'), 'utf8');
      expect(summary).toMatch(/✅ \| Attestation \| SLSA provenance stored: github-release-asset \|/);
      // Nothing went to the plain-HTTP GitHub of the other tests.
      expect(attestation.github.requests).toEqual([]);

      // The consumer's side: every check of `phpublish verify` passes, the bundle read from that release.
      const verified = await phpublishVerify({ githubApiUrl: enterprise.apiUrl, bareRemote: origin, env: trustCa });
      addToOutput(`\nphpublish verify:\n${verified.output}`);
      expect(verified.code).toBe(0);
      const report = verified.report!.packages[0]!;
      expect(report.status).toBe('verified');
      expect(report.checks.map((check) => [check.check, check.status])).toEqual([
        ['packagist', 'passed'],
        ['tag', 'passed'],
        ['signature', 'passed'],
        ['attestation', 'passed'],
        ['content', 'passed'],
      ]);
      expect(report.checks.find((check) => check.check === 'attestation')?.detail).toContain(
        'found in acme-hello-1.0.0.sigstore.json on release v1.0.0',
      );
    });

    describe.sequential('when release-it uploads assets of its own (`github.assets`: a draft, published once they are up)', () => {
      it('attaches the bundle and the zip beside them, to the release release-it published', async (test) => {
        const { fixture, writeReleaseConfig, actionsEnv, releaseIt, enterprise } = await startEnterpriseJob(test);
        // Untracked and ignored: release-it's clean-working-directory check passes.
        await writeFile(join(fixture.repo.dir, 'NOTES.txt'), 'release notes\n');
        await writeFile(join(fixture.repo.dir, '.git', 'info', 'exclude'), 'NOTES.txt\n');
        await writeReleaseConfig(
          {},
          { githubApiUrl: enterprise.apiUrl },
          {},
          { github: { release: true, assets: ['NOTES.txt'], host: enterprise.host, tokenRef: 'GITHUB_TOKEN' } },
        );
        const token = enterprise.issueToken('acme/hello', { contents: 'write', attestations: 'write' });
        const { code } = await releaseIt(
          actionsEnv({
            GITHUB_API_URL: enterprise.apiUrl,
            GITHUB_TOKEN: token,
            NODE_EXTRA_CA_CERTS: enterprise.caFile!,
          }),
        );
        expect(code).toBe(0);
        const releases = enterprise.releases('acme/hello');
        expect(releases).toHaveLength(1);
        expect(releases[0]!.draft).toBe(false);
        expect(enterprise.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1); // release-it published it
        expect(releases[0]!.assets.map((asset) => asset.name)).toEqual([
          'NOTES.txt',
          'acme-hello-1.0.0.sigstore.json',
          'acme-hello-1.0.0.zip',
        ]);
      });
    });

    describe.sequential('when release-it’s GitHub plugin leaves the release a draft (`github.draft: true`)', () => {
      /** An Enterprise release job whose release-it leaves the release a draft. */
      async function startDraftJob(test: TestContext) {
        const job = await startEnterpriseJob(test);
        const { enterprise } = job;
        const draftConfig = (attest: Record<string, unknown> = {}) =>
          job.writeReleaseConfig(
            {},
            { githubApiUrl: enterprise.apiUrl, ...attest },
            {},
            { github: { release: true, draft: true, host: enterprise.host, tokenRef: 'GITHUB_TOKEN' } },
          );
        const draftEnv = () =>
          job.actionsEnv({
            GITHUB_API_URL: enterprise.apiUrl,
            GITHUB_TOKEN: enterprise.issueToken('acme/hello', { contents: 'write', attestations: 'write' }),
            NODE_EXTRA_CA_CERTS: enterprise.caFile!,
          });
        return { ...job, draftConfig, draftEnv };
      }

      it('stops before signing or publishing anything: GitHub finds no release by the tag of a draft', async (test) => {
        const { fixture, attestation, releaseIt, enterprise, origin, draftConfig, draftEnv } =
          await startDraftJob(test);
        await draftConfig();
        const { code, output } = await releaseIt(draftEnv());
        expect(code).not.toBe(0);
        expect(output).toContain('ATTEST_RELEASE_NOT_FOUND');
        expect(output).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // a coded error, not a stack trace
        expect((await git(origin, ['tag', '--list'])).trim()).toBe('v1.0.0');
        expect(enterprise.releases('acme/hello')).toMatchObject([{ tag: 'v1.0.0', draft: true, assets: [] }]);
        expect(attestation.sigstore.requests.fulcio).toEqual([]); // nothing signed
        expect(enterprise.attestations('acme/hello')).toEqual([]);
        expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
      });

      it('finishes the release on a re-run once the draft is published: attests, attaches to it, then Packagist', async (test) => {
        const { fixture, attestation, releaseIt, enterprise, origin, draftConfig, draftEnv } =
          await startDraftJob(test);
        await draftConfig();
        expect((await releaseIt(draftEnv())).code).not.toBe(0);
        const draft = enterprise.releases('acme/hello')[0]!;
        // The maintainer publishes the draft, as GitHub's web page does.
        const token = enterprise.issueToken('acme/hello', { contents: 'write' });
        expect(await patchRelease(enterprise, token, draft.id, { draft: false })).toBe(200);

        const { code, output } = await releaseIt(draftEnv(), [], []);
        expect(code).toBe(0);
        expect(output).toContain('finishing v1.0.0');
        const [release] = enterprise.releases('acme/hello');
        expect(release).toMatchObject({ id: draft.id, draft: false });
        expect(release!.assets.map((asset) => asset.name).sort()).toEqual([
          'acme-hello-1.0.0.sigstore.json',
          'acme-hello-1.0.0.zip',
        ]);
        expect(attestation.sigstore.requests.fulcio).toHaveLength(1);
        const p2 = await fixture.getJson('/p2/acme/hello.json');
        expect(JSON.stringify(p2.body)).toContain(fixture.repo.head);
        expect(output).toMatch(/Attestation .*SLSA provenance stored/); // the posture of the finished release
        expect((await git(origin, ['tag', '--list'])).trim()).toBe('v1.0.0'); // no second tag
      });

      it('releases with the attestation in the attestation store only, when `attest.storeReleaseAsset` is off', async (test) => {
        const { fixture, releaseIt, enterprise, draftConfig, draftEnv } = await startDraftJob(test);
        await draftConfig({ storeReleaseAsset: false });
        const { code } = await releaseIt(draftEnv());
        expect(code).toBe(0);
        expect(enterprise.releases('acme/hello')).toMatchObject([{ tag: 'v1.0.0', draft: true, assets: [] }]);
        expect(enterprise.attestations('acme/hello')).toHaveLength(1);
        const p2 = await fixture.getJson('/p2/acme/hello.json');
        expect(JSON.stringify(p2.body)).toContain(fixture.repo.head);
      });
    });
  });

  describe.sequential('when release-it commits before tagging (`git.commit` on, as by default)', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: release-it's own template syntax
    const committing = { git: { tagName: 'v${version}', commit: true, commitMessage: 'chore: release ${version}' } };

    it('stops before tagging when there is something to commit: the attestation could not name that commit', async (test) => {
      const { fixture, writeReleaseConfig, actionsEnv, releaseIt, remoteTags } = await startReleaseJob(test, bin);
      await fixture.repo.commit({ 'CHANGELOG.md': '# Changelog\n' }, 'docs: a changelog');
      await fixture.repo.git(['push', '-q', 'origin', 'main']);
      // What a changelog plugin does between bump and release: a tracked file changes.
      await writeReleaseConfig(
        {},
        {},
        {},
        { ...committing, hooks: { 'after:bump': 'echo "## 1.0.0" >> CHANGELOG.md' } },
      );
      const { code, output } = await releaseIt(actionsEnv());
      expect(code).not.toBe(0);
      expect(output).toContain('ATTEST_OTHER_COMMIT');
      expect(output).toContain('a commit release-it makes during the release');
      expect(await remoteTags()).toEqual([]);
      expect(await git(fixture.repo.dir, ['tag', '--list'])).toBe('');
    });

    it('releases as usual when there is nothing to commit (release-it tags the commit the job runs for)', async (test) => {
      const { fixture, remote, writeReleaseConfig, actionsEnv, releaseIt } = await startReleaseJob(test, bin);
      await writeReleaseConfig({}, {}, {}, committing);
      const { code } = await releaseIt(actionsEnv());
      expect(code).toBe(0);
      expect((await git(remote.dir, ['rev-parse', 'v1.0.0^{commit}'])).trim()).toBe(fixture.repo.head);
    });
  });

  describe.sequential('when something is missing', () => {
    it('reports a missing Packagist token and a bad key together, and tags nothing', async (test) => {
      const { fixture, writeReleaseConfig, actionsEnv, releaseIt, remoteTags, expectNoSecrets } = await startReleaseJob(
        test,
        bin,
      );
      await writeReleaseConfig({ mode: 'token' });
      const { code, output } = await releaseIt(
        actionsEnv({
          PACKAGIST_API_TOKEN: '',
          PHPUBLISH_GPG_PRIVATE_KEY: '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nnot a key\n',
        }),
      );
      expect(code).not.toBe(0);
      expect(output).toContain('PACKAGIST_CREDENTIALS_MISSING');
      expect(output).toContain('SIGNING_KEY_MALFORMED');
      expect(output).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // coded errors, not a stack trace
      expect(await remoteTags()).toEqual([]);
      expect(await git(fixture.repo.dir, ['tag', '--list'])).toBe('');
      expectNoSecrets(output);
    });
  });

  describe.sequential('when run with --dry-run', () => {
    it('creates nothing and says what it would do', async (test) => {
      const { fixture, attestation, writeReleaseConfig, actionsEnv, releaseIt, remoteTags } = await startReleaseJob(
        test,
        bin,
      );
      await writeReleaseConfig();
      const { code, output } = await releaseIt(actionsEnv(), ['--dry-run']);
      expect(code).toBe(0);
      expect(output).toMatch(
        /would make v1\.0\.0 an OpenPGP-signed tag \(key [0-9A-F]{40}\), then call Packagist update-package/,
      );
      expect(await remoteTags()).toEqual([]);
      expect(await git(fixture.repo.dir, ['tag', '--list'])).toBe('');
      expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
      expect(attestation.github.attestations('acme/hello')).toEqual([]);
    });
  });

  describe.sequential('when Packagist fails during the release and the release is run again', () => {
    it('finishes the tagged release on the re-run without tagging or releasing again', async (test) => {
      const { fixture, writeReleaseConfig, actionsEnv, releaseIt, remoteTags } = await startReleaseJob(test, bin);
      await writeReleaseConfig();
      fixture.packagist.injectFault({ path: '/api/update-package', times: 4, fault: { status: 503, body: 'down' } });
      const first = await releaseIt(actionsEnv());
      expect(first.code).not.toBe(0);
      expect(first.output).toContain('PACKAGIST_UNAVAILABLE');
      expect(first.output).toContain('Run the release again');
      expect(first.output).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // a coded error, not a stack trace
      expect(await remoteTags()).toEqual(['v1.0.0']);

      // The CI job is re-run as it was (`release-it --ci`, the version from git tags).
      const second = await releaseIt(actionsEnv(), [], []);
      expect(second.code).toBe(0);
      expect(second.output).toContain('finishing v1.0.0');
      expect(second.output).toContain('Packagist serves acme/hello v1.0.0');
      expect(second.output).toContain('nothing else is released in this run');
      expect(await remoteTags()).toEqual(['v1.0.0']);
      const p2 = await fixture.getJson('/p2/acme/hello.json');
      expect(JSON.stringify(p2.body)).toContain(fixture.repo.head);
    });
  });

  describe.sequential('when run interactively and the publish question is answered "no"', () => {
    it('asks before publishing and sends nothing to Packagist', async (test) => {
      const { fixture, attestation, writeReleaseConfig, actionsEnv, releaseItInteractively, remoteTags } =
        await startReleaseJob(test, bin);
      await writeReleaseConfig();
      const { code, output } = await releaseItInteractively(actionsEnv(), {
        'Tag (v1.0.0)?': 'y',
        'Push?': 'y',
        'Publish v1.0.0 to Packagist': 'n',
      });
      expect(output).toContain('Publish v1.0.0 to Packagist (zip, attestation, notify)?');
      expect(code).toBe(0);
      expect(await remoteTags()).toEqual(['v1.0.0']);
      expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
      expect(attestation.github.attestations('acme/hello')).toEqual([]);
    });
  });
});
