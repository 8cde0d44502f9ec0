import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installWithComposer } from '@phpublish/sandbox';
import { git, gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL } from '@phpublish/testing/packagist';
import { freshGnupgHome, generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { startReleaseWorld } from '@phpublish/testing/release-job';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { beforeAll, describe, expect, it, type TestContext } from 'vitest';

// The real changesets CLI, both majors: 2.x prints "New tag:" lines, 3.x writes NDJSON events to
// CHANGESETS_OUTPUT. phpublish-changesets and phpublish run as built (the test command builds first).
const require = createRequire(import.meta.url);
const changesetsBin = (name: string) => join(dirname(require.resolve(`${name}/package.json`)), 'bin.js');
const CHANGESETS = [
  {
    major: 2,
    version: require('@changesets/cli/package.json').version as string,
    bin: changesetsBin('@changesets/cli'),
  },
  {
    major: 3,
    version: require('changesets-cli-3/package.json').version as string,
    bin: changesetsBin('changesets-cli-3'),
  },
] as const;
const [V2, V3] = CHANGESETS;
const BIN = fileURLToPath(new URL('../dist/bin/phpublish-changesets.js', import.meta.url));
const PHPUBLISH = fileURLToPath(new URL('../../cli/dist/bin/phpublish.js', import.meta.url));

let key: TestKey;

beforeAll(async () => {
  key = await generateTestKey('ed25519', { passphrase: 'correct horse' });
});

/** A single-package changesets repository: a private package.json beside composer.json, one changeset. */
async function makeChangesetsRepository(repo: PackagistFixture['repo']): Promise<void> {
  await repo.commit(
    {
      'package.json': `${JSON.stringify({ name: 'hello', version: '1.0.0', private: true }, null, 2)}\n`,
      '.changeset/config.json': JSON.stringify({
        changelog: false,
        commit: false,
        access: 'restricted',
        baseBranch: 'main',
        privatePackages: { version: true, tag: true },
      }),
      '.changeset/brave-cats.md': '---\n"hello": minor\n---\n\nGreets in more languages.\n',
      // package.json and .changeset/ are not part of the PHP package.
      '.gitattributes': '/package.json export-ignore\n/.changeset export-ignore\n',
    },
    'chore: manage versions with changesets',
  );
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * One test's release job: its own Packagist, Sigstore and GitHub stand-ins, changesets repository, bare
 * remote and HOME (so that tests can run side by side), all removed when the test ends. main, with one
 * changeset, is pushed.
 */
async function startReleaseJob(test: TestContext) {
  const world = await startReleaseWorld(test, { tool: 'changesets' });
  const { fixture, attestation, remote, home, output } = world;

  // Its git refs are the remote's: changesets/action's API tag creation lands there.
  attestation.github.addRepository('acme/hello', { gitDir: remote.dir });
  // Packagist reads the pushed repository, as the real one reads GitHub.
  fixture.packagist.addRemote(REPOSITORY_URL, remote.dir);
  await makeChangesetsRepository(fixture.repo);
  await fixture.repo.git(['remote', 'add', 'origin', remote.dir]);
  await fixture.repo.git(['push', '-q', '-u', 'origin', 'main']);

  /** A changesets/action release job on a push to main, with `id-token: write` and a GITHUB_TOKEN. */
  async function actionsEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    // The workflow runs for the commit at the tip of main (the "Version Packages" merge).
    const sha = (await fixture.repo.git(['rev-parse', 'HEAD'])).trim();
    return world.actionsEnv({ sha, key, extra });
  }

  /** phpublish's options for the sandbox (what a repository's phpublish.config.json would say). */
  async function writePhpublishConfig(packagist: Record<string, unknown> = {}): Promise<void> {
    const config = {
      attest: {
        fulcioUrl: attestation.sigstore.fulcioUrl,
        rekorUrl: attestation.sigstore.rekorUrl,
        ...(attestation.sigstore.tsaUrl ? { tsaUrl: attestation.sigstore.tsaUrl } : {}),
        githubApiUrl: attestation.github.url,
        gitlabApiUrl: attestation.gitlab.url,
      },
      packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, confirm: { timeout: 30 }, ...packagist },
    };
    // Outside the repository: the release must not depend on an uncommitted file in it.
    await writeFile(join(home.path, 'phpublish.config.json'), JSON.stringify(config));
  }

  function run(command: string, args: string[], env: Record<string, string>, stdin?: string): Promise<Run> {
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [command, ...args],
        { cwd: fixture.repo.dir, env, timeout: 120_000 },
        (error, stdout, stderr) => {
          output.text += `\n$ ${command} ${args.join(' ')}\n${stdout}\n${stderr}`;
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
        },
      );
      child.stdin?.end(stdin ?? '');
    });
  }

  /** phpublish-changesets publish, with the sandbox's options file. */
  function publish(env: Record<string, string>, args: string[] = [], stdin?: string): Promise<Run> {
    return run(BIN, ['publish', '--config', join(home.path, 'phpublish.config.json'), ...args], env, stdin);
  }

  /** `changeset version`, then the "Version Packages" commit pushed to main, as after merging the action's PR. */
  async function versionPackages(changesets: (typeof CHANGESETS)[number]): Promise<void> {
    const versioned = await run(changesets.bin, ['version'], gitEnv({ HOME: home.path }));
    expect(versioned.code).toBe(0);
    await fixture.repo.git(['add', '-A']);
    await fixture.repo.git(['commit', '-q', '-m', 'Version Packages']);
    await fixture.repo.git(['push', '-q', 'origin', 'main']);
  }

  /** The tagging step each major offers: v2's `changeset tag` (its stdout), v3's `changeset git-tag` (CHANGESETS_OUTPUT). */
  async function tagWithChangesets(
    changesets: (typeof CHANGESETS)[number],
  ): Promise<{ stdout: string; outputFile: string }> {
    const outputFile = join(home.path, `changesets-output-${Date.now()}.ndjson`);
    const tagged =
      changesets.major === 2
        ? await run(changesets.bin, ['tag'], gitEnv({ HOME: home.path }))
        : await run(changesets.bin, ['git-tag'], gitEnv({ HOME: home.path, CHANGESETS_OUTPUT: outputFile }));
    expect(tagged.code).toBe(0);
    return { stdout: tagged.stdout, outputFile };
  }

  /** Runs the release the way the README's workflow does for this major. */
  async function releaseWith(changesets: (typeof CHANGESETS)[number], env: Record<string, string>): Promise<Run> {
    const { stdout, outputFile } = await tagWithChangesets(changesets);
    return changesets.major === 2
      ? publish(env, ['--output', '-'], stdout) // `changeset tag | phpublish-changesets publish --output -`
      : publish({ ...env, CHANGESETS_OUTPUT: outputFile });
  }

  const remoteTags = async () => (await git(remote.dir, ['tag', '--list'])).split('\n').filter(Boolean);
  const updatePackageCalls = () => fixture.packagist.requests.filter((r) => r.url === '/api/update-package');

  function expectNoSecrets(output: string): void {
    expect(output).not.toContain(fixture.alice.safeToken);
    expect(output).not.toContain('correct horse');
    for (const line of key.armoredPrivateKey.split('\n').filter((l) => l.length > 40))
      expect(output).not.toContain(line);
  }

  async function expectGnupgVerifies(tag: string): Promise<void> {
    const gnupg = await freshGnupgHome();
    try {
      await gnupg.importPublicKey(key.armoredPublicKey);
      // Stock git with real GnuPG (no gpg.program override).
      const verify = await git(remote.dir, ['verify-tag', '--raw', tag], { env: { ...gitEnv(), ...gnupg.env } }).catch(
        (e) => e,
      );
      expect(verify).not.toBeInstanceOf(Error);
    } finally {
      await gnupg.cleanup();
    }
  }

  /**
   * What changesets/action does after the publish script in its default (API) mode, with the job's
   * GITHUB_TOKEN: `POST /repos/:owner/:repo/git/refs {ref: "refs/tags/<tag>", sha: <workflow sha>}`, a
   * lightweight tag. On 422 "Reference already exists" the action warns and keeps the ref.
   */
  async function replayActionTagCreation(tag: string, sha: string): Promise<{ status: number; message: string }> {
    const token = attestation.github.issueToken('acme/hello', { contents: 'write' });
    const response = await fetch(`${attestation.github.url}/repos/acme/hello/git/refs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ref: `refs/tags/${tag}`, sha }),
    });
    return { status: response.status, message: String(((await response.json()) as { message?: unknown }).message) };
  }

  /** `phpublish verify` (the CLI as built) with a policy trusting the test key and this release workflow. */
  async function phpublishVerify(version: string): Promise<Run> {
    await writeFile(join(home.path, 'key.asc'), key.armoredPublicKey);
    await writeFile(join(home.path, 'trusted_root.json'), JSON.stringify(attestation.sigstore.trustedRoot));
    const policy = join(home.path, 'phpublish.policy.json');
    await writeFile(
      policy,
      JSON.stringify({
        packagistUrl: fixture.packagist.url,
        githubApiUrl: attestation.github.url,
        trustedRoot: 'trusted_root.json',
        packages: {
          'acme/hello': {
            keys: ['key.asc'],
            identities: [
              {
                issuer: attestation.githubIssuer.issuer,
                repository: 'acme/hello',
                workflow: '.github/workflows/release.yml',
                ref: 'refs/heads/main', // changesets/action releases from a push to main
              },
            ],
          },
        },
      }),
    );
    return run(
      PHPUBLISH,
      ['verify', '--policy', policy, 'acme/hello', version],
      // git fetches the tag from the test's remote in place of the public URL.
      gitEnv({
        HOME: home.path,
        GIT_CONFIG_COUNT: '2',
        GIT_CONFIG_KEY_1: `url.${remote.dir}.insteadOf`,
        GIT_CONFIG_VALUE_1: 'https://github.com/acme/hello.git',
      }),
    );
  }

  return {
    fixture,
    attestation,
    remote,
    home,
    actionsEnv,
    writePhpublishConfig,
    run,
    publish,
    versionPackages,
    tagWithChangesets,
    releaseWith,
    remoteTags,
    updatePackageCalls,
    expectNoSecrets,
    expectGnupgVerifies,
    replayActionTagCreation,
    phpublishVerify,
  };
}

// Three lanes side by side, each test with its own stand-ins: one per major, and one for the tests that do
// not depend on the major (below); in each lane the tests run one after another. Most of a release is
// waiting (child processes, Packagist's retry delays), and the per-major lanes are short.
describe.concurrent.each(CHANGESETS)('phpublish-changesets with @changesets/cli $version', (changesets) => {
  describe.sequential('when a single-package PHP repository releases (changeset version, then its tag step, then the publish step)', () => {
    it('pushes a signed tag that GnuPG verifies, attests the zip, Packagist serves the tagged commit, Composer installs it, phpublish verify passes, and the action’s own tag creation leaves it alone', async (test) => {
      const {
        fixture,
        attestation,
        remote,
        actionsEnv,
        writePhpublishConfig,
        versionPackages,
        releaseWith,
        remoteTags,
        expectNoSecrets,
        expectGnupgVerifies,
        replayActionTagCreation,
        phpublishVerify,
      } = await startReleaseJob(test);
      await writePhpublishConfig();
      await versionPackages(changesets);
      const env = await actionsEnv();
      const { code, stdout, stderr } = await releaseWith(changesets, env);
      expect(code).toBe(0);
      expectNoSecrets(stdout + stderr);
      if (changesets.major === 2) expect(stdout).toMatch(/New tag:\s+v1\.1\.0/); // what changesets/action v1 parses
      expect(stderr).toContain('Replaced the unsigned local v1.1.0 (made by changesets, not pushed)');
      expect(stdout).toContain('Release posture of acme/hello v1.1.0');

      expect(await remoteTags()).toEqual(['v1.1.0']);
      expect((await git(remote.dir, ['cat-file', '-t', 'v1.1.0'])).trim()).toBe('tag');
      await expectGnupgVerifies('v1.1.0');
      const commit = (await git(remote.dir, ['rev-parse', 'v1.1.0^{commit}'])).trim();
      expect(commit).toBe((await fixture.repo.git(['rev-parse', 'HEAD'])).trim());

      // Packagist serves the version at the tagged commit, and Composer installs it from there.
      const p2 = await fixture.getJson('/p2/acme/hello.json');
      expect(JSON.stringify(p2.body)).toContain(commit);
      const work = await makeTempDir('phpublish-cs-composer-');
      try {
        const installed = await installWithComposer({
          repositoryUrl: fixture.packagist.url,
          packageName: 'acme/hello',
          version: 'v1.1.0',
          workDir: work.path,
          path: process.env['PATH'],
        });
        expect(installed.files).toContain('src/Hello.php');
        expect(installed.files).not.toContain('package.json');
      } finally {
        await work.cleanup();
      }

      // The stored bundle verifies for this repository's release workflow and this content.
      const stored = attestation.github.attestations('acme/hello');
      expect(stored).toHaveLength(1);
      const { contentDigestOfRef } = await import('@phpublish/core/archive');
      const { gitHubActionsPolicy, verifyAttestation } = await import('@phpublish/core/attest');
      const { contentDigest } = await contentDigestOfRef({ cwd: remote.dir, env: gitEnv(), ref: 'v1.1.0' });
      const verified = await verifyAttestation({
        bundle: stored[0]!.bundle as string,
        trustedRoot: attestation.sigstore.trustedRoot,
        policy: gitHubActionsPolicy({
          repository: 'acme/hello',
          workflow: '.github/workflows/release.yml',
          issuer: attestation.githubIssuer.issuer,
        }),
        subjects: { contentDigest },
      });
      expect(verified.statement.subject.map((s) => s.name)).toEqual([
        'acme-hello-1.1.0.zip',
        'phpublish-tree-v1:acme/hello@1.1.0',
      ]);

      const verify = await phpublishVerify('v1.1.0');
      expect(verify.code).toBe(0);

      // changesets/action then creates its lightweight tag through the API: refused, the signed tag stays.
      const signedOid = (await git(remote.dir, ['rev-parse', 'refs/tags/v1.1.0'])).trim();
      const replay = await replayActionTagCreation('v1.1.0', commit);
      expect(replay).toEqual({ status: 422, message: 'Reference already exists' });
      // The same request for a tag nobody pushed first creates the action's lightweight tag.
      expect((await replayActionTagCreation('v0.0.0-control', commit)).status).toBe(201);
      expect((await git(remote.dir, ['cat-file', '-t', 'v0.0.0-control'])).trim()).toBe('commit');
      expect((await git(remote.dir, ['rev-parse', 'refs/tags/v1.1.0'])).trim()).toBe(signedOid);
      expect((await git(remote.dir, ['cat-file', '-t', 'v1.1.0'])).trim()).toBe('tag');
      await expectGnupgVerifies('v1.1.0');
    });
  });

  describe.sequential('when Packagist fails during publish and the job is re-run from a fresh checkout', () => {
    it('continues the release whose signed tag is on the remote, without tagging or notifying twice', async (test) => {
      const {
        fixture,
        attestation,
        remote,
        actionsEnv,
        writePhpublishConfig,
        versionPackages,
        releaseWith,
        remoteTags,
        updatePackageCalls,
      } = await startReleaseJob(test);
      await writePhpublishConfig();
      await versionPackages(changesets);
      fixture.packagist.injectFault({ path: '/api/update-package', times: 4, fault: { status: 503, body: 'down' } });
      const first = await releaseWith(changesets, await actionsEnv());
      expect(first.code).toBe(1);
      expect(first.stderr).toContain('PACKAGIST_UNAVAILABLE');
      expect(first.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(await remoteTags()).toEqual(['v1.1.0']);
      const signedOid = (await git(remote.dir, ['rev-parse', 'refs/tags/v1.1.0'])).trim();

      // A fresh CI checkout has no local tags: changesets makes its unsigned one again.
      await fixture.repo.git(['tag', '-d', 'v1.1.0']);
      const updatesBefore = updatePackageCalls().length;
      const second = await releaseWith(changesets, await actionsEnv());
      expect(second.code).toBe(0);
      expect(second.stderr).toContain('v1.1.0 is already on origin, signed: continuing that release');
      expect(second.stderr).toContain('Packagist serves acme/hello v1.1.0');
      expect((await git(remote.dir, ['rev-parse', 'refs/tags/v1.1.0'])).trim()).toBe(signedOid);
      expect(updatePackageCalls().length - updatesBefore).toBe(1);
      expect(attestation.github.attestations('acme/hello')).toHaveLength(1);
    });
  });
});

// The third lane (see above).
describe.concurrent('phpublish-changesets, whatever the changesets major', () => {
  describe.sequential('when there is no changesets output', () => {
    it('releases the package.json version the remote has no tag for, then, run again, has nothing to do', async (test) => {
      const { fixture, remote, actionsEnv, writePhpublishConfig, publish, versionPackages, remoteTags } =
        await startReleaseJob(test);
      await writePhpublishConfig();
      await versionPackages(V3);
      const first = await publish(await actionsEnv());
      expect(first.code).toBe(0);
      expect(await remoteTags()).toEqual(['v1.1.0']);
      expect((await git(remote.dir, ['cat-file', '-t', 'v1.1.0'])).trim()).toBe('tag');

      const requestsBefore = fixture.packagist.requests.length;
      const second = await publish(await actionsEnv());
      expect(second.code).toBe(0);
      expect(second.stderr).toContain('no PHP package to release');
      expect(second.stderr).toContain('nothing to do');
      expect(await remoteTags()).toEqual(['v1.1.0']);
      expect(fixture.packagist.requests.slice(requestsBefore).filter((r) => r.method === 'POST')).toEqual([]);
    });
  });

  describe.sequential('when the publish script is `changeset tag && phpublish-changesets publish` (changesets/action v1, no output passed)', () => {
    it('replaces the unsigned local tag changesets made with a signed one at the same commit and pushes that', async (test) => {
      const {
        fixture,
        remote,
        actionsEnv,
        writePhpublishConfig,
        publish,
        versionPackages,
        tagWithChangesets,
        expectGnupgVerifies,
      } = await startReleaseJob(test);
      await writePhpublishConfig();
      await versionPackages(V2);
      const { stdout } = await tagWithChangesets(V2);
      expect(stdout).toMatch(/New tag:\s+v1\.1\.0/); // what the action reads, from changesets itself
      const unsigned = await fixture.repo.git(['rev-parse', 'refs/tags/v1.1.0']);
      const { code, stderr } = await publish(await actionsEnv());
      expect(code).toBe(0);
      expect(stderr).toContain('Replaced the unsigned local v1.1.0');
      const pushed = (await git(remote.dir, ['rev-parse', 'refs/tags/v1.1.0'])).trim();
      expect(pushed).not.toBe(unsigned.trim());
      expect((await git(remote.dir, ['rev-parse', 'v1.1.0^{commit}'])).trim()).toBe(
        (await fixture.repo.git(['rev-parse', 'HEAD'])).trim(),
      );
      await expectGnupgVerifies('v1.1.0');
    });
  });

  describe.sequential('when the job runs in GitLab CI (the README’s job: changeset git-tag, then the publish step)', () => {
    it('signs and pushes the tag, attests the zip without needing a GitLab release, and Packagist serves the tagged commit', async (test) => {
      const {
        fixture,
        attestation,
        remote,
        home,
        writePhpublishConfig,
        publish,
        versionPackages,
        tagWithChangesets,
        expectNoSecrets,
        expectGnupgVerifies,
      } = await startReleaseJob(test);
      await writePhpublishConfig({ repositoryUrl: REPOSITORY_URL });
      await versionPackages(V3);
      const { outputFile } = await tagWithChangesets(V3);
      const job = attestation.gitlabIssuer.gitLabCiJob({
        projectPath: 'acme/hello',
        sha: (await fixture.repo.git(['rev-parse', 'HEAD'])).trim(),
      });
      const env = {
        ...gitEnv(),
        ...job.env,
        HOME: home.path,
        CHANGESETS_OUTPUT: outputFile,
        PACKAGIST_USERNAME: 'alice',
        PACKAGIST_API_TOKEN: fixture.alice.safeToken,
        PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
        PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE: 'correct horse',
      };
      const { code, stderr } = await publish(env);
      expect(code).toBe(0);
      expectNoSecrets(stderr);
      expect(stderr).toMatch(/Attestation: signed the provenance of acme-hello-1\.1\.0\.zip/);
      expect((await git(remote.dir, ['cat-file', '-t', 'v1.1.0'])).trim()).toBe('tag');
      await expectGnupgVerifies('v1.1.0');
      const commit = (await git(remote.dir, ['rev-parse', 'v1.1.0^{commit}'])).trim();
      expect(JSON.stringify((await fixture.getJson('/p2/acme/hello.json')).body)).toContain(commit);
    });
  });

  describe.sequential('when the remote already has the release tag, not signed', () => {
    it.for([
      ['an annotated tag without a signature (changeset tag, then git push --follow-tags)', true],
      ['a lightweight tag (changesets/action’s API tag, pushed first)', false],
    ] as const)(
      'refuses with CHANGESETS_TAG_ON_REMOTE_NOT_SIGNED for %s, and publishes nothing',
      async ([_what, annotated], test) => {
        const { fixture, attestation, actionsEnv, writePhpublishConfig, publish, versionPackages, tagWithChangesets } =
          await startReleaseJob(test);
        await writePhpublishConfig();
        await versionPackages(V2);
        const { stdout } = await tagWithChangesets(V2);
        if (!annotated) {
          await fixture.repo.git(['tag', '-d', 'v1.1.0']);
          await fixture.repo.git(['tag', 'v1.1.0']);
        }
        await fixture.repo.git(['push', '-q', 'origin', 'v1.1.0']);
        const { code, stderr } = await publish(await actionsEnv(), ['--output', '-'], stdout);
        expect(code).toBe(1);
        expect(stderr).toContain('CHANGESETS_TAG_ON_REMOTE_NOT_SIGNED');
        expect(stderr).toMatch(annotated ? /without a signature/ : /lightweight tag/);
        expect(stderr).not.toMatch(/\n\s+at /);
        expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
        expect(attestation.github.attestations('acme/hello')).toEqual([]);
      },
    );
  });

  describe.sequential('when composer.json is not fit for release', () => {
    it.for([
      ['carries a "version" that disagrees with the release', { name: 'acme/hello', version: '1.0.0' }],
      ['is not valid JSON', '{ "name": "acme/hello",'],
    ] as const)(
      'stops in preflight with COMPOSER_JSON_INVALID when it %s, and pushes nothing',
      async ([_what, composer], test) => {
        const { fixture, actionsEnv, writePhpublishConfig, publish, versionPackages, tagWithChangesets, remoteTags } =
          await startReleaseJob(test);
        await writePhpublishConfig();
        await fixture.repo.commit(
          { 'composer.json': typeof composer === 'string' ? composer : JSON.stringify(composer) },
          'chore: composer.json',
        );
        await versionPackages(V3);
        const { outputFile } = await tagWithChangesets(V3);
        const { code, stderr } = await publish({ ...(await actionsEnv()), CHANGESETS_OUTPUT: outputFile });
        expect(code).toBe(1);
        expect(stderr).toContain('COMPOSER_JSON_INVALID');
        expect(stderr).toContain('remedy:');
        expect(await remoteTags()).toEqual([]);
        expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
      },
    );
  });

  describe.sequential('when run with --dry-run', () => {
    it('says what it would do and changes nothing: the local tag stays changesets’ own, nothing is pushed or sent', async (test) => {
      const { fixture, actionsEnv, writePhpublishConfig, publish, versionPackages, tagWithChangesets, remoteTags } =
        await startReleaseJob(test);
      await writePhpublishConfig();
      await versionPackages(V3);
      const { outputFile } = await tagWithChangesets(V3);
      const localBefore = await fixture.repo.git(['rev-parse', 'refs/tags/v1.1.0']);
      const { code, stderr } = await publish({ ...(await actionsEnv()), CHANGESETS_OUTPUT: outputFile }, ['--dry-run']);
      expect(code).toBe(0);
      expect(stderr).toContain('Would replace the unsigned local v1.1.0');
      expect(stderr).toMatch(/would make v1\.1\.0 an OpenPGP-signed tag/);
      expect(await fixture.repo.git(['rev-parse', 'refs/tags/v1.1.0'])).toBe(localBefore);
      expect(await remoteTags()).toEqual([]);
      expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
    });
  });

  describe.sequential('when the workspace holds PHP packages in subfolders', () => {
    async function makeMonorepo(repo: PackagistFixture['repo']): Promise<void> {
      const pkg = (name: string) => `${JSON.stringify({ name, version: '1.0.0', private: true }, null, 2)}\n`;
      await repo.commit(
        {
          'package.json': `${JSON.stringify({ name: 'root', private: true }, null, 2)}\n`,
          'pnpm-workspace.yaml': "packages:\n  - 'packages/*'\n",
          '.changeset/brave-cats.md': null,
          'packages/php-lib/package.json': pkg('php-lib'),
          'packages/php-lib/composer.json': JSON.stringify({ name: 'acme/php-lib' }),
          'packages/js-lib/package.json': pkg('js-lib'),
        },
        'chore: a workspace',
      );
    }

    it('refuses the PHP package with CHANGESETS_PHP_PACKAGES_IN_SUBFOLDERS, whose remedy names split repositories', async (test) => {
      const { fixture, home, actionsEnv, writePhpublishConfig, publish } = await startReleaseJob(test);
      await makeMonorepo(fixture.repo);
      const output = join(home.path, 'output.ndjson');
      await writeFile(
        output,
        [
          { type: 'git-tag', tag: 'js-lib@1.1.0', packageName: 'js-lib' },
          { type: 'git-tag', tag: 'php-lib@1.1.0', packageName: 'php-lib' },
        ]
          .map((event) => JSON.stringify(event))
          .join('\n'),
      );
      await writePhpublishConfig();
      const { code, stderr } = await publish(await actionsEnv(), ['--output', output]);
      expect(code).toBe(1);
      expect(stderr).toContain('CHANGESETS_PHP_PACKAGES_IN_SUBFOLDERS');
      expect(stderr).toContain('php-lib in packages/php-lib/ (tag php-lib@1.1.0)');
      expect(stderr).toMatch(/remedy: .*split/);
      expect(stderr).not.toContain('js-lib');
    });

    it('ignores the JavaScript packages without a word when only they were released', async (test) => {
      const { fixture, actionsEnv, writePhpublishConfig, publish } = await startReleaseJob(test);
      await makeMonorepo(fixture.repo);
      await writePhpublishConfig();
      const { code, stdout, stderr } = await publish(
        await actionsEnv(),
        ['--output', '-'],
        '🦋  New tag:  js-lib@1.1.0\n',
      );
      expect(code).toBe(0);
      expect(stdout).toBe('🦋  New tag:  js-lib@1.1.0\n'); // passed through for changesets/action v1, nothing added
      expect(stderr).not.toContain('js-lib');
      expect(stderr).not.toMatch(/CHANGESETS_|^!/m);
      expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
    });
  });
});
