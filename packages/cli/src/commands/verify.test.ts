import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildArchive } from '@phpublish/core/archive';
import { releaseFileNames } from '@phpublish/core/attest';
import { runGit } from '@phpublish/core/git';
import { loadSigningKey } from '@phpublish/core/pgp';
import { type SandboxOidcIssuer, startSandboxGitTagServer, startSandboxOidcIssuer } from '@phpublish/sandbox';
import { withEnv } from '@phpublish/testing/attest';
import { generateTestKey } from '@phpublish/testing/pgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import {
  type CliRun,
  explainOnFailure,
  failures,
  type MadeRelease,
  PACKAGE,
  REPOSITORY,
  startVerifyFixture,
  type VerifyFixture,
  type VerifyJson,
  WORKFLOW,
} from './testing/verify-fixture.js';

/** The command as built (`npm test` builds first); the thread pool only runs from the build. */
const BUILT_CLI = fileURLToPath(new URL('../../dist/bin/phpublish.js', import.meta.url));
let fixture: VerifyFixture;
/** A release made through phpublish before any test runs: the attacks copy and replay it. */
let baseline: MadeRelease;
let otherIssuer: SandboxOidcIssuer;

beforeAll(async () => {
  fixture = await startVerifyFixture();
  baseline = await fixture.release('1.0.0');
  otherIssuer = await startSandboxOidcIssuer();
  // Fulcio also certifies a second GitHub-style issuer (think: a GitHub Enterprise Server).
  fixture.attest.sandbox.sigstore.trustIssuer({
    issuer: otherIssuer.issuer,
    provider: 'github-workflow',
    serverUrl: 'https://github.com',
  });
}, 120_000);

afterAll(async () => {
  await otherIssuer?.close();
  await fixture?.close();
});

describe('phpublish verify', () => {
  describe('when the release was made through phpublish', () => {
    it('verifies every link of the chain with exit 0 and no warning', async () => {
      let run: CliRun | undefined;
      explainOnFailure(() => run);
      const release = await fixture.release('1.1.0');
      const verified = await fixture.verify(release.tag);
      run = verified;
      expect(verified.code).toBe(EXIT.ok);
      expect(verified.stderr).not.toMatch(/^! /m);
      // The tag came over git's smart HTTP from this process: nothing was handed to git.
      expect(verified.stderr).not.toContain('fetched with git');
      expect(fixture.gitServer.requests).toContain(`POST /${REPOSITORY}.git/git-upload-pack`);
      const pkg = verified.report.packages[0]!;
      expect(pkg.status).toBe('verified');
      expect(pkg.checks.map((c) => [c.check, c.status])).toEqual([
        ['packagist', 'passed'],
        ['tag', 'passed'],
        ['signature', 'passed'],
        ['attestation', 'passed'],
        ['content', 'passed'],
      ]);
      expect(pkg.checks.find((c) => c.check === 'content')?.detail).toContain(releaseFileNames(PACKAGE, '1.1.0').zip);
      expect(verified.report.summary).toEqual({ verified: 1, failed: 0, notCovered: 0, warnings: 0 });
    });

    it('fetches the tag with git itself when git reaches the repository other than over HTTP', async () => {
      const run = await fixture.cli(['verify', PACKAGE, baseline.tag, '--json', '--policy', fixture.policyFile], {
        env: fixture.localGitEnv,
      });
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.ok);
      expect(run.stderr).toContain(
        'Tags of repositories that git reaches other than over HTTP(S) are fetched with git',
      );
      expect(failures(JSON.parse(run.stdout))).toEqual({});
    });

    it('prints a table of the checks and progress lines', async () => {
      const run = await fixture.cli(['verify', PACKAGE, baseline.tag, '--policy', fixture.policyFile]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.ok);
      expect(run.stdout).toMatch(/^acme\/hello v1\.0\.0 \(policy acme\/hello\): verified$/m);
      expect(run.stdout).toMatch(/^check\s+result\s+detail$/m);
      for (const check of ['Packagist metadata', 'release tag', 'tag signature', 'attestation', 'content']) {
        expect(run.stdout).toMatch(new RegExp(`^${check}\\s+passed\\s+\\S`, 'm'));
      }
      expect(run.stderr).toContain(`acme/hello: fetching tag v1.0.0 from https://github.com/acme/hello.git`);
      expect(run.stderr).not.toMatch(/^! /m);
    });
  });

  describe('when an attacker changes one link (each attack has its own code)', () => {
    it('catches an unsigned tag published with a stolen Packagist token', async () => {
      const commit = await fixture.commit('1.2.0');
      await fixture.repo.git(['tag', 'v1.2.0', commit]);
      // The stolen SAFE token is enough to make Packagist crawl the repository.
      const response = await fetch(`${fixture.packagist.url}/api/update-package`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer alice:${fixture.packagistToken}`,
        },
        body: JSON.stringify({ repository: 'https://github.com/acme/hello' }),
      });
      expect(response.status).toBe(202);
      await fixture.packagist.idle();
      const run = await fixture.verify('v1.2.0');
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({
        signature: 'VERIFY_TAG_UNSIGNED',
        attestation: 'VERIFY_ATTESTATION_MISSING',
      });
    });

    it('catches a tag signed by a key the policy does not know', async () => {
      const mallory = await generateTestKey('ed25519', { userId: { name: 'Mallory', email: 'm@evil.invalid' } });
      const key = await loadSigningKey({
        armoredKey: mallory.armoredPrivateKey,
        keySource: 'test',
        passphraseSource: 'test',
      });
      const release = await releaseWith('1.3.0', { key });
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ signature: 'VERIFY_TAG_UNTRUSTED_KEY' });
    });

    it('catches a tag moved after Packagist published the version', async () => {
      const release = await fixture.release('1.4.0');
      const other = await fixture.commit('1.4.0-moved');
      await fixture.repo.git(['tag', '-d', release.tag]);
      await fixture.signTag(release.tag, other);
      await fixture.crawl(); // Packagist refuses to move a published version
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ tag: 'VERIFY_TAG_MOVED' });
    });

    it('catches an attestation made in another repository', async () => {
      fixture.attest.sandbox.github.addRepository('mallory/hello');
      const release = await releaseWith('1.5.0', { attest: false });
      const run = fixture.attest.gitHubRun(
        { repository: 'mallory/hello', ref: `refs/tags/${release.tag}`, sha: release.commit },
        { config: { storeReleaseAsset: false, storeGitHubAttestation: false } },
      );
      const { bundle } = await fixture.attestZip(release, { run });
      await fixture.uploadAsset(release.tag, releaseFileNames(PACKAGE, '1.5.0').bundle, JSON.stringify(bundle));
      const verified = await fixture.verify(release.tag);
      explainOnFailure(() => verified);
      expect(verified.code).toBe(EXIT.failed);
      expect(failures(verified.report)).toEqual({ attestation: 'ATTEST_REPOSITORY_MISMATCH' });
    });

    it('catches an attestation made by another workflow of the repository', async () => {
      const release = await releaseWith('1.6.0', { attest: false });
      await fixture.attestZip(release, { job: { workflowPath: '.github/workflows/ci.yml' } });
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ attestation: 'ATTEST_WORKFLOW_MISMATCH' });
    });

    it('catches an attestation vouched for by another OIDC issuer', async () => {
      const release = await releaseWith('1.7.0', { attest: false });
      const job = otherIssuer.gitHubActionsJob({ repository: REPOSITORY, ref: `refs/tags/${release.tag}` });
      const base = fixture.attest.gitHubRun({ ref: `refs/tags/${release.tag}` });
      await fixture.attestZip(release, { run: withEnv(base, { ...base.env, ...job.env }) });
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ attestation: 'ATTEST_ISSUER_MISMATCH' });
    });

    it('catches a release zip swapped after it was attested', async () => {
      const release = await releaseWith('1.8.0', { uploadZip: false });
      // The zip of another release, under this release's name.
      await fixture.uploadAsset(release.tag, releaseFileNames(PACKAGE, '1.8.0').zip, await readFile(baseline.zipFile));
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ content: 'ATTEST_ZIP_MISMATCH' });
    });

    it('catches a dist zip swapped on the mirror composer.lock downloads from', async () => {
      const release = await fixture.release('1.9.0');
      const mirror = await serve(await readFile(baseline.zipFile));
      try {
        const lock = await fixture.writeLock([
          fixture.lockEntry(release, { distUrl: `${mirror.url}/acme-hello-1.9.0.zip` }),
        ]);
        const run = await fixture.cli(['verify', '--lock', lock, '--json', '--policy', fixture.policyFile]);
        explainOnFailure(() => run);
        expect(run.code).toBe(EXIT.failed);
        expect(failures(JSON.parse(run.stdout))).toEqual({ content: 'ATTEST_CONTENT_MISMATCH' });
      } finally {
        await mirror.close();
      }
    });

    it('catches Packagist metadata that points at a commit no tag names', async () => {
      const release = await fixture.release('1.10.0');
      await fixture.repo.git(['tag', '-d', release.tag]);
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ tag: 'VERIFY_TAG_MISSING' });
    });

    it('catches a signed tag copied under the name of another version', async () => {
      const oid = await fixture.repo.git(['rev-parse', `refs/tags/${baseline.tag}`]);
      await fixture.repo.git(['update-ref', 'refs/tags/v1.11.0', oid.trim()]);
      await fixture.crawl();
      const run = await fixture.verify('v1.11.0');
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      // Same commit, so the same contents: the store's attestation of 1.0.0 is found, and refused as well.
      expect(failures(run.report)).toEqual({
        signature: 'VERIFY_TAG_NAME_MISMATCH',
        attestation: 'VERIFY_ATTESTATION_OTHER_VERSION',
      });
    });

    it('catches an old version’s attestation replayed for a new version', async () => {
      const release = await releaseWith('1.12.0', { attest: false });
      const { bundle } = await fixture.attestZip(baseline, { storeReleaseAsset: false, storeGitHubAttestation: false });
      await fixture.uploadAsset(release.tag, releaseFileNames(PACKAGE, '1.12.0').bundle, JSON.stringify(bundle));
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ attestation: 'VERIFY_ATTESTATION_OTHER_VERSION' });
    });

    it('catches a truncated bundle', async () => {
      const release = await releaseWith('1.13.0', { attest: false });
      const { bundle } = await fixture.attestZip(release, { storeReleaseAsset: false, storeGitHubAttestation: false });
      const text = JSON.stringify(bundle);
      await fixture.uploadAsset(
        release.tag,
        releaseFileNames(PACKAGE, '1.13.0').bundle,
        text.slice(0, Math.floor(text.length / 2)),
      );
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ attestation: 'ATTEST_BUNDLE_MALFORMED' });
    });

    it('catches a garbled bundle', async () => {
      const release = await releaseWith('1.14.0', { attest: false });
      const { bundle } = await fixture.attestZip(release, { storeReleaseAsset: false, storeGitHubAttestation: false });
      // Bytes of the signed statement flipped in transit or storage; the JSON stays well-formed.
      const garbled = structuredClone(bundle) as unknown as { dsseEnvelope: { payload: string } };
      const payload = Buffer.from(garbled.dsseEnvelope.payload, 'base64');
      payload[payload.length - 20]! ^= 0x01;
      garbled.dsseEnvelope.payload = payload.toString('base64');
      await fixture.uploadAsset(release.tag, releaseFileNames(PACKAGE, '1.14.0').bundle, JSON.stringify(garbled));
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ attestation: 'ATTEST_BUNDLE_TAMPERED' });
    });

    it('catches a tag signed with a key that had expired when it signed', async () => {
      const release = await releaseWith('1.15.0', { key: fixture.expiredKeyTwin });
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ signature: 'VERIFY_KEY_EXPIRED_AT_SIGNING' });
    });

    it('catches a release without any attestation', async () => {
      const release = await releaseWith('1.16.0', { attest: false });
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ attestation: 'VERIFY_ATTESTATION_MISSING' });
    });

    it('catches a tag whose signed bytes were edited', async () => {
      const release = await fixture.release('1.17.0');
      const raw = await runGit(['cat-file', 'tag', release.tag], { cwd: fixture.repo.dir });
      // The message is edited; the signature is left as it was.
      const edited = raw.stdout.toString('utf8').replace('Release v1.17.0\n', 'Release v1.17.0, with a fix\n');
      const written = (
        await runGit(['hash-object', '-t', 'tag', '-w', '--stdin'], { cwd: fixture.repo.dir, input: edited })
      ).stdout
        .toString('utf8')
        .trim();
      await fixture.repo.git(['update-ref', `refs/tags/${release.tag}`, written]);
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ signature: 'VERIFY_TAG_SIGNATURE_BAD' });
    });
  });

  describe('when someone with push access but no signing key attacks the release (the attestation must be bound to the signed commit)', () => {
    it.each([
      ['the policy does not pin where the workflow runs', '1.20.0', undefined, 'refs/heads/mallory'],
      [
        'the policy pins the version’s tag, and the tag named their commit while the workflow ran',
        '1.20.1',
        'refs/tags/{tag}',
        'refs/tags/v1.20.1',
      ],
    ])(
      'catches an attestation the release workflow made on their own commit (%s)',
      async (_case, version, pinnedRef, runRef) => {
        // Mallory commits a backdoor on a branch of her own and runs the release workflow on it.
        const evil = await fixture.repo.commit(
          { 'src/Backdoor.php': '<?php // backdoor\n', 'VERSION.txt': `${version}\n` },
          'evil',
        );
        await fixture.repo.git(['branch', '-f', `mallory-${version}`, evil]);
        await fixture.repo.git(['reset', '--hard', 'HEAD~1']);
        const evilZip = join(fixture.work.path, `evil-${version}.zip`);
        const evilArchive = await buildArchive({ cwd: fixture.repo.dir, ref: evil, outFile: evilZip });
        // The maintainer's release: signed tag, reproducible zip (Mallory can compute its SHA-256), no attestation yet.
        const release = await releaseWith(version, { attest: false });
        await fixture.attestZip(
          { ...release, commit: evil, contentDigest: evilArchive.contentDigest },
          { job: { ref: runRef }, storeReleaseAsset: false },
        );
        // A composer.lock pins the signed commit; the dist it downloads is Mallory's.
        const mirror = await serve(await readFile(evilZip));
        try {
          const policy = pinnedRef ? await identityPolicy({ ref: pinnedRef }) : fixture.policyFile;
          const lock = await fixture.writeLock([
            fixture.lockEntry(release, { distUrl: `${mirror.url}/acme-hello-${version}.zip` }),
          ]);
          const run = await fixture.cli(['verify', '--lock', lock, '--json', '--policy', policy]);
          explainOnFailure(() => run);
          expect(run.code).toBe(EXIT.failed);
          expect(failures(JSON.parse(run.stdout))).toEqual({ attestation: 'VERIFY_ATTESTATION_OTHER_COMMIT' });
        } finally {
          await mirror.close();
        }
      },
    );

    it('catches a workflow file named release.yml@evil.yml passed off as release.yml', async () => {
      const release = await releaseWith('1.21.0', { attest: false });
      await fixture.attestZip(release, { job: { workflowPath: `${WORKFLOW}@evil.yml` } });
      const run = await fixture.verify(release.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ attestation: 'ATTEST_WORKFLOW_MISMATCH' });
    });

    it('catches a release workflow run on a branch the policy does not name', async () => {
      const release = await releaseWith('1.22.0', { attest: false });
      await fixture.attestZip(release, { job: { ref: 'refs/heads/feature' } });
      const policy = await identityPolicy({ ref: ['refs/tags/{tag}', 'refs/heads/main'] });
      const run = await fixture.cli(['verify', PACKAGE, release.tag, '--json', '--policy', policy]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(JSON.parse(run.stdout))).toEqual({ attestation: 'ATTEST_IDENTITY_MISMATCH' });
    });

    it('reports a GitLab workflow mismatch as such when the policy also names a GitHub identity', async () => {
      const release = await releaseWith('1.23.0', { attest: false });
      fixture.attest.sandbox.gitlab.createRelease(REPOSITORY, release.tag);
      const gitLab = fixture.attest.gitLabRun(
        { ref: release.tag, sha: release.commit, configPath: 'ci/other.yml' },
        { config: { storeReleaseAsset: false, storeGitHubAttestation: false } },
      );
      const { bundle } = await fixture.attestZip(release, { run: gitLab });
      await fixture.uploadAsset(release.tag, releaseFileNames(PACKAGE, '1.23.0').bundle, JSON.stringify(bundle));
      const github = { issuer: fixture.attest.sandbox.githubIssuer.issuer, repository: REPOSITORY, workflow: WORKFLOW };
      const gitlab = {
        platform: 'gitlab-ci',
        issuer: fixture.attest.sandbox.gitlabIssuer.issuer,
        repository: REPOSITORY,
        workflow: '.gitlab-ci.yml',
      };
      // The GitLab API is the stand-in's, where the release above is (otherwise verify would ask gitlab.com).
      const policy = await vendorPolicy(
        { [PACKAGE]: { keys: ['maintainer.asc'], identities: [github, gitlab] } },
        { gitlabApiUrl: fixture.attest.sandbox.gitlab.apiUrl },
      );
      const run = await fixture.cli(['verify', PACKAGE, release.tag, '--json', '--policy', policy]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(JSON.parse(run.stdout))).toEqual({ attestation: 'ATTEST_WORKFLOW_MISMATCH' });
    });

    it('compares the dist with the signed commit when the policy requires no attestation (a swapped dist)', async () => {
      const release = await fixture.release('1.24.0');
      const mirror = await serve(await readFile(baseline.zipFile));
      try {
        const policy = await vendorPolicy({ [PACKAGE]: { keys: ['maintainer.asc'], requireAttestation: false } });
        const swapped = await fixture.writeLock([
          fixture.lockEntry(release, { distUrl: `${mirror.url}/acme-hello-1.24.0.zip` }),
        ]);
        const run = await fixture.cli(['verify', '--lock', swapped, '--json', '--policy', policy]);
        explainOnFailure(() => run);
        expect(run.code).toBe(EXIT.failed);
        const report = JSON.parse(run.stdout) as VerifyJson;
        expect(failures(report)).toEqual({ content: 'VERIFY_CONTENT_NOT_RELEASED' });
        expect(report.packages[0]!.checks.find((c) => c.check === 'attestation')?.status).toBe('not-checked');
        // The dist Packagist serves is the signed commit's export: it passes, and the attestation is still not checked.
        const genuine = await fixture.cli([
          'verify',
          '--lock',
          await fixture.writeLock([fixture.lockEntry(release)]),
          '--policy',
          policy,
        ]);
        explainOnFailure(() => genuine);
        expect(genuine.code).toBe(EXIT.ok);
        expect(genuine.stdout).toMatch(/4 checks passed, not checked: attestation/);
      } finally {
        await mirror.close();
      }
    });

    it('never reports a check as passed that the policy turned off', async () => {
      const policy = await vendorPolicy({ [PACKAGE]: { requireSignedTag: false, requireAttestation: false } });
      const text = await fixture.cli(['verify', PACKAGE, baseline.tag, '--policy', policy]);
      explainOnFailure(() => text);
      expect(text.code).toBe(EXIT.ok);
      expect(text.stdout).toMatch(/: verified \(not checked: release tag, tag signature, attestation, content\)$/m);
      expect(text.stdout).toMatch(/^content\s+NOT CHECKED\s+not required by the policy/m);
    });
  });

  describe('when the git server lies', () => {
    it('catches a server that sends other bytes than the tag object it advertises', async () => {
      const liar = await startSandboxGitTagServer();
      try {
        await liar.addRepository(`/${REPOSITORY}.git`, fixture.repo.dir);
        const raw = await runGit(['cat-file', 'tag', baseline.tag], { cwd: fixture.repo.dir });
        await liar.forgeTag(
          `/${REPOSITORY}.git`,
          baseline.tag,
          Buffer.from(raw.stdout.toString('utf8').replace('Release', 'Forged')),
        );
        const run = await fixture.cli(['verify', PACKAGE, baseline.tag, '--json', '--policy', fixture.policyFile], {
          env: { GIT_CONFIG_KEY_1: `url.${liar.url}/${REPOSITORY}.git.insteadOf` },
        });
        explainOnFailure(() => run);
        expect(run.code).toBe(EXIT.failed);
        expect(failures(JSON.parse(run.stdout))).toEqual({ tag: 'VERIFY_TAG_FORGED' });
      } finally {
        await liar.close();
      }
    });
  });

  describe('when the package, the policy or the network says otherwise', () => {
    it('passes with a warning a tag signed before its key expired', async () => {
      const signedAt = new Date(Date.now() - 2.5 * 86_400_000);
      const key = await loadSigningKey(
        { armoredKey: fixture.expiredKey.armoredPrivateKey, keySource: 'test', passphraseSource: 'test' },
        { now: signedAt },
      );
      const commit = await fixture.commit('2.0.0');
      await fixture.signTag('v2.0.0', commit, key, signedAt);
      const release: MadeRelease = {
        version: '2.0.0',
        tag: 'v2.0.0',
        commit,
        ...(await fixture.archive('2.0.0', 'v2.0.0')),
      };
      await fixture.attestZip(release);
      await fixture.crawl();
      const run = await fixture.verify('v2.0.0');
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.ok);
      const signature = run.report.packages[0]!.checks.find((c) => c.check === 'signature')!;
      expect(signature).toMatchObject({ status: 'passed' });
      expect(signature.warning).toMatch(/has expired since it signed this tag/);
      expect(run.stderr).toMatch(
        /^! acme\/hello v2\.0\.0: the key [0-9A-F]{40} has expired since it signed this tag$/m,
      );
      expect(run.report.summary.warnings).toBe(1);
    });

    it('fails a version Packagist does not list, and skips the rest', async () => {
      const run = await fixture.verify('v9.9.9');
      expect(run.code).toBe(EXIT.failed);
      expect(failures(run.report)).toEqual({ packagist: 'VERIFY_VERSION_NOT_LISTED' });
      expect(run.report.packages[0]!.checks.filter((c) => c.status === 'skipped')).toHaveLength(4);
    });

    it('fails a package Packagist does not know, when a vendor entry covers it', async () => {
      const policy = await vendorPolicy({ 'acme/*': { keys: ['maintainer.asc'], requireAttestation: false } });
      const run = await fixture.cli(['verify', 'acme/unknown', '1.0.0', '--json', '--policy', policy]);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(JSON.parse(run.stdout), 'acme/unknown')).toEqual({ packagist: 'VERIFY_PACKAGE_NOT_FOUND' });
    });

    it('checks only what the policy requires', async () => {
      const policy = await vendorPolicy({ 'acme/*': { requireSignedTag: false, requireAttestation: false } });
      const run = await fixture.cli(['verify', PACKAGE, baseline.tag, '--json', '--policy', policy]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.ok);
      const checks = (JSON.parse(run.stdout) as VerifyJson).packages[0]!.checks;
      expect(checks.map((c) => `${c.check}:${c.status}`)).toEqual([
        'packagist:passed',
        'tag:not-checked',
        'signature:not-checked',
        'attestation:not-checked',
        'content:not-checked',
      ]);
      expect(checks[1]!.detail).toMatch(/^not required by the policy \(acme\/\*\)/);
    });

    it('fails when what Composer installs cannot be downloaded', async () => {
      const lock = await fixture.writeLock([
        fixture.lockEntry(baseline, { distUrl: 'http://127.0.0.1:1/acme-hello.zip' }),
      ]);
      const run = await fixture.cli(['verify', '--lock', lock, '--json', '--policy', fixture.policyFile]);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(JSON.parse(run.stdout))).toEqual({ content: 'VERIFY_DIST_UNAVAILABLE' });
    });

    it('fails when git cannot fetch from the repository', async () => {
      const lock = await fixture.writeLock([
        {
          ...fixture.lockEntry(baseline),
          source: { type: 'git', url: 'https://github.com/acme/gone.git', reference: baseline.commit },
        },
      ]);
      const run = await fixture.cli(['verify', '--lock', lock, '--json', '--policy', fixture.policyFile], {
        env: {
          GIT_CONFIG_COUNT: '3',
          GIT_CONFIG_KEY_2: `url.${join(fixture.work.path, 'no-such-repository')}.insteadOf`,
          GIT_CONFIG_VALUE_2: 'https://github.com/acme/gone.git',
        },
      });
      expect(run.code).toBe(EXIT.failed);
      expect(failures(JSON.parse(run.stdout))).toEqual({ tag: 'VERIFY_REPOSITORY_UNREACHABLE' });
    });

    it('refuses to fetch tags from a local path named by the metadata', async () => {
      const lock = await fixture.writeLock([
        { ...fixture.lockEntry(baseline), source: { type: 'git', url: fixture.repo.dir, reference: baseline.commit } },
      ]);
      const run = await fixture.cli(['verify', '--lock', lock, '--json', '--policy', fixture.policyFile]);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(JSON.parse(run.stdout))).toEqual({ tag: 'VERIFY_SOURCE_MISSING' });
    });
  });

  describe('when verifying a composer.lock', () => {
    it('verifies covered packages, reports the others as not covered, and exits 0', async () => {
      const lock = await fixture.writeLock([
        fixture.lockEntry(baseline),
        {
          name: 'other/thing',
          version: '2.0.0',
          source: { type: 'git', url: 'https://example.invalid/x.git', reference: 'f'.repeat(40) },
        },
      ]);
      const run = await fixture.cli(['verify', '--lock', lock, '--policy', fixture.policyFile]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.ok);
      expect(run.stdout).toMatch(/^acme\/hello\s+v1\.0\.0\s+verified\s+5 checks passed/m);
      expect(run.stdout).toMatch(/^other\/thing\s+2\.0\.0\s+not covered/m);
      expect(run.stdout).toContain('2 packages: 1 verified, 0 failed, 1 not covered');
    });

    it.skipIf(!existsSync(BUILT_CLI))('shares the packages between threads in the built command', async () => {
      const lock = await fixture.writeLock(Array.from({ length: 16 }, () => fixture.lockEntry(baseline)));
      const run = await new Promise<CliRun>((resolve) => {
        execFile(
          process.execPath,
          [BUILT_CLI, 'verify', '--lock', lock, '--json', '--threads', '2', '--policy', fixture.policyFile],
          { env: fixture.cliEnv(), cwd: fixture.work.path, maxBuffer: 1e8 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        );
      });
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.ok);
      expect(run.stderr).toContain('8 at a time in 2 threads');
      expect((JSON.parse(run.stdout) as VerifyJson).summary).toEqual({
        verified: 16,
        failed: 0,
        notCovered: 0,
        warnings: 0,
      });
    });

    it('fails packages the policy does not cover with --strict', async () => {
      const lock = await fixture.writeLock([{ name: 'other/thing', version: '2.0.0' }]);
      const run = await fixture.cli(['verify', '--lock', lock, '--strict', '--json', '--policy', fixture.policyFile]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(JSON.parse(run.stdout), 'other/thing')).toEqual({ policy: 'VERIFY_NOT_COVERED' });
    });

    it('fails a package locked at another commit than Packagist serves', async () => {
      const lock = await fixture.writeLock([fixture.lockEntry(baseline, { reference: '0'.repeat(40) })]);
      const run = await fixture.cli(['verify', '--lock', lock, '--json', '--policy', fixture.policyFile]);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(JSON.parse(run.stdout))).toMatchObject({ packagist: 'VERIFY_REFERENCE_MISMATCH' });
    });
  });

  describe('when the command line or the policy is wrong', () => {
    it.each([
      [['verify']],
      [['verify', 'Not A Name']],
      [['verify', PACKAGE, '1.0.0', 'extra']],
      [['verify', PACKAGE, '--lock', 'composer.lock']],
      [['verify', PACKAGE, '--concurrency', '0']],
      [['verify', '--colour']],
    ])('exits 2 for %j', async (argv) => {
      const run = await fixture.cli([...argv]);
      expect(run.code).toBe(EXIT.usage);
      expect(run.stderr).toMatch(/Usage: phpublish verify/);
    });

    it('exits 2 when no policy is given and there is none in the folder', async () => {
      const run = await fixture.cli(['verify', PACKAGE], { cwd: fixture.repo.dir });
      expect(run.code).toBe(EXIT.usage);
      expect(run.stderr).toContain('no policy: pass --policy <file> or create phpublish.policy.json');
    });

    it('fails with VERIFY_POLICY_INVALID when the policy file cannot be read', async () => {
      const run = await fixture.cli(['verify', PACKAGE, '--policy', join(fixture.work.path, 'none.json')]);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('VERIFY_POLICY_INVALID');
    });

    it('reports every problem of a broken policy with VERIFY_POLICY_INVALID and exit 1', async () => {
      const file = join(fixture.work.path, 'broken.policy.json');
      await writeFile(
        file,
        JSON.stringify({ packages: { 'acme/hello': { keys: ['missing.asc'], identities: [], colour: 1 } } }),
      );
      const run = await fixture.cli(['verify', PACKAGE, '--policy', file]);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('VERIFY_POLICY_INVALID');
      expect(run.stderr).toContain('unknown field `colour`');
      expect(run.stderr).toContain('requireAttestation needs at least one identity');
    });

    it('documents itself', async () => {
      const run = await fixture.cli(['verify', '--help']);
      expect(run.code).toBe(EXIT.ok);
      expect(run.stdout).toContain('Usage: phpublish verify <vendor/name> [version]');
      expect(run.stdout).toContain('--lock <file>');
      const general = await fixture.cli(['--help']);
      expect(general.stdout).toMatch(/verify\s+Verify/);
    });
  });
});

/** A signed, archived, attested and published release with one thing chosen by the test. */
async function releaseWith(
  version: string,
  options: { key?: Parameters<VerifyFixture['signTag']>[2]; attest?: boolean; uploadZip?: boolean },
): Promise<MadeRelease> {
  const tag = `v${version}`;
  const commit = await fixture.commit(version);
  await fixture.signTag(tag, commit, options.key);
  const release: MadeRelease = { version, tag, commit, ...(await fixture.archive(version, tag)) };
  fixture.createRelease(tag);
  if (options.attest !== false) await fixture.attestZip(release);
  if (options.uploadZip !== false) {
    await fixture.uploadAsset(tag, releaseFileNames(PACKAGE, version).zip, await readFile(release.zipFile));
  }
  await fixture.crawl();
  return release;
}

/** The fixture's policy with its one identity changed. */
async function identityPolicy(change: Record<string, unknown>): Promise<string> {
  const base = JSON.parse(await readFile(fixture.policyFile, 'utf8')) as {
    packages: Record<string, { identities: Record<string, unknown>[] }>;
  };
  const entry = base.packages[PACKAGE]!;
  return vendorPolicy({ [PACKAGE]: { ...entry, identities: [{ ...entry.identities[0], ...change }] } });
}

/** The fixture's policy with these packages (and these top-level settings). */
async function vendorPolicy(
  packages: Record<string, unknown>,
  settings: Record<string, unknown> = {},
): Promise<string> {
  const file = join(fixture.work.path, `policy-${Math.random().toString(16).slice(2)}.json`);
  const base = JSON.parse(await readFile(fixture.policyFile, 'utf8')) as Record<string, unknown>;
  await writeFile(file, JSON.stringify({ ...base, ...settings, packages }));
  return file;
}

/** A mirror that serves the same bytes for every path. */
async function serve(body: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/zip' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
