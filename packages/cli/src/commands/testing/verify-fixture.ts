/**
 * Releases of acme/hello made the way phpublish makes them — a signed tag pushed to the repository,
 * the reproducible zip, a Sigstore attestation from a GitHub Actions job (release asset and
 * attestation store), Packagist crawling the repository — against local stand-ins, so that the
 * attack tests can tamper with one link of the chain and run the real `phpublish verify`.
 * Only for phpublish's own tests.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildArchive } from '@phpublish/core/archive';
import { type AttestReleaseResult, attestRelease, releaseFileNames, releaseSubjects } from '@phpublish/core/attest';
import { createSignedTag } from '@phpublish/core/git';
import { loadSigningKey, type SigningKey } from '@phpublish/core/pgp';
import {
  type GitHubActionsJob,
  type SandboxGitHttpBackend,
  type SandboxPackagist,
  startSandboxGitHttpBackend,
  startSandboxPackagist,
} from '@phpublish/sandbox';
import { type AttestFixture, type Run, startAttestFixture } from '@phpublish/testing/attest';
import { gitEnv } from '@phpublish/testing/git';
import { generateTestKey, reformatWithoutExpiry, type TestKey } from '@phpublish/testing/pgp';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { onTestFailed } from 'vitest';
import { runCli } from './run-cli.js';

export const PACKAGE = 'acme/hello';
export const REPOSITORY = 'acme/hello';
export const REPOSITORY_URL = 'https://github.com/acme/hello';
export const WORKFLOW = '.github/workflows/release.yml';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface MadeRelease {
  version: string;
  tag: string;
  commit: string;
  zipFile: string;
  zipSha256: string;
  contentDigest: string;
}

export interface AttestOptions {
  /** The CI job that signs; the release workflow of acme/hello at the tag by default. */
  job?: Partial<GitHubActionsJob>;
  /** Another run altogether (another issuer, another repository). */
  run?: Run;
  /** Where the bundle goes; both by default. Off: the bundle is only returned. */
  storeReleaseAsset?: boolean;
  storeGitHubAttestation?: boolean;
  /** The version the bundle is named and made for (a replay uses an old one). */
  version?: string;
}

export interface VerifyFixture {
  readonly attest: AttestFixture;
  readonly packagist: SandboxPackagist;
  readonly repo: PhpPackageRepo;
  /** Serves the repository over git's smart HTTP (git's own http-backend): where the command fetches tags. */
  readonly gitServer: SandboxGitHttpBackend;
  /** Environment overrides that make git read https://github.com/acme/hello.git from the local path instead (not HTTP: git itself fetches). */
  readonly localGitEnv: Record<string, string>;
  readonly work: TempDir;
  /** The SAFE token of alice, who maintains acme/hello on Packagist (what an attacker would steal). */
  readonly packagistToken: string;
  /** Trusted by the policy. */
  readonly maintainerKey: SigningKey;
  /** The policy file: acme/hello trusts the maintainer key (and an expired key) and the release workflow. */
  readonly policyFile: string;
  /** Commits a change that makes this version's contents unique; resolves to the commit. */
  commit(version: string): Promise<string>;
  /** A signed tag (the maintainer's key by default) on `commit`. */
  signTag(tag: string, commit: string, key?: SigningKey, now?: Date): Promise<void>;
  /** The reproducible zip of a tag, with its digests. */
  archive(version: string, tag: string): Promise<Pick<MadeRelease, 'zipFile' | 'zipSha256' | 'contentDigest'>>;
  /** The GitHub release of a tag (created once). */
  createRelease(tag: string): void;
  /** Attests a release's zip and content from a CI job. */
  attestZip(release: MadeRelease, options?: AttestOptions): Promise<AttestReleaseResult>;
  uploadAsset(tag: string, name: string, content: string | Buffer): Promise<void>;
  /** Packagist crawls the repository now. */
  crawl(): Promise<void>;
  /** Everything phpublish does for a release, in order; `attest: false` leaves out the attestation. */
  release(version: string, options?: { attest?: boolean; uploadZip?: boolean }): Promise<MadeRelease>;
  /** The environment the command runs with: https://github.com/acme/hello.git is rewritten to the sandbox's git server. */
  cliEnv(): Record<string, string>;
  /** `phpublish <argv>` with the real main(), git pointed at the local repository. */
  cli(argv: string[], options?: { env?: Record<string, string>; cwd?: string }): Promise<CliRun>;
  /** `phpublish verify acme/hello <version> --json --policy …` and its parsed report. */
  verify(version: string, extra?: string[]): Promise<CliRun & { report: VerifyJson }>;
  /** A file with this content in the fixture's folder, under a unique name ending in `name`. */
  writeFile(name: string, content: string | Buffer): Promise<string>;
  /**
   * A composer.lock package entry for a release: the lock pins its commit (or `reference`, of any
   * type), and the dist is the one Packagist serves unless `distUrl` names another.
   */
  lockEntry(release: MadeRelease, override?: { distUrl?: string; reference?: unknown }): Record<string, unknown>;
  /** A composer.lock with these packages (`prefix` before its JSON, e.g. a byte order mark). */
  writeLock(packages: unknown[], options?: { prefix?: string }): Promise<string>;
  /**
   * A key that expired two days ago (valid for one day before that), also trusted by the policy;
   * `expiredKeyTwin` signs with the same key material as if it never expired.
   */
  readonly expiredKey: TestKey;
  readonly expiredKeyTwin: SigningKey;
  close(): Promise<void>;
}

export interface VerifyJson {
  packages: {
    packageName: string;
    version?: string;
    status: string;
    checks: { check: string; status: string; code?: string; detail: string; warning?: string }[];
  }[];
  summary: { verified: number; failed: number; notCovered: number; warnings: number };
}

/** Prints what the command said when a test fails. */
export function explainOnFailure(run: () => CliRun | undefined): void {
  onTestFailed(() => {
    const last = run();
    if (last) console.error(`exit ${last.code}\nstdout:\n${last.stdout}\nstderr:\n${last.stderr}`);
  });
}

/** The JSON report a run printed; a run that printed none fails the test with what it printed. */
export function reportOf(run: CliRun): VerifyJson {
  try {
    return JSON.parse(run.stdout) as VerifyJson;
  } catch {
    throw new Error(`phpublish verify printed no JSON report (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** The code of each failed check, by check: what the attack tests assert. */
export function failures(report: VerifyJson, packageName = PACKAGE): Record<string, string> {
  const pkg = report.packages.find((p) => p.packageName === packageName);
  return Object.fromEntries((pkg?.checks ?? []).filter((c) => c.status === 'failed').map((c) => [c.check, c.code!]));
}

async function signingKeyOf(armoredKey: string): Promise<SigningKey> {
  return loadSigningKey({ armoredKey, keySource: 'test key', passphraseSource: 'test passphrase' });
}

/** The expired key's material under a new, non-expiring self-signature: it signs "after" expiry. */
async function nonExpiringTwin(key: TestKey): Promise<SigningKey> {
  return signingKeyOf(await reformatWithoutExpiry(key, new Date(Date.now() - 3 * 86_400_000 + 60_000)));
}

export async function startVerifyFixture(): Promise<VerifyFixture> {
  const work = await makeTempDir('phpublish-verify-fixture-');
  const attest = await startAttestFixture();
  const packagist = await startSandboxPackagist({ crawlDelayMs: 1 });
  const repo = await createPhpPackageRepo({ name: PACKAGE });
  packagist.addRemote(REPOSITORY_URL, repo.dir);
  const gitServer = await startSandboxGitHttpBackend();
  gitServer.addRepository(`/${REPOSITORY}.git`, repo.dir);
  const alice = packagist.addUser({ username: 'alice' });
  packagist.addPackage({ name: PACKAGE, repositoryUrl: REPOSITORY_URL, maintainers: [alice.username] });

  const maintainer = await generateTestKey('ed25519');
  const maintainerKey = await signingKeyOf(maintainer.armoredPrivateKey);
  const expiredKey = await generateTestKey('ed25519', {
    date: new Date(Date.now() - 3 * 86_400_000),
    keyExpirationTime: 86_400,
  });
  const expiredKeyTwin = await nonExpiringTwin(expiredKey);

  await writeFile(join(work.path, 'maintainer.asc'), maintainer.armoredPublicKey);
  await writeFile(join(work.path, 'retired.asc'), expiredKey.armoredPublicKey);
  await writeFile(join(work.path, 'trusted_root.json'), JSON.stringify(attest.sandbox.sigstore.trustedRoot));
  const policyFile = join(work.path, 'phpublish.policy.json');
  await writeFile(
    policyFile,
    JSON.stringify(
      {
        $schema: 'https://github.com/phpublish/phpublish/blob/main/docs/policy.schema.json',
        packagistUrl: packagist.url,
        githubApiUrl: attest.sandbox.github.url,
        // The stand-in's GitLab too: a test that meets a GitLab identity must not ask the real one.
        gitlabApiUrl: attest.sandbox.gitlab.apiUrl,
        trustedRoot: 'trusted_root.json',
        packages: {
          [PACKAGE]: {
            keys: ['maintainer.asc', 'retired.asc'],
            identities: [{ issuer: attest.sandbox.githubIssuer.issuer, repository: REPOSITORY, workflow: WORKFLOW }],
          },
        },
      },
      null,
      2,
    ),
  );

  const releases = new Map<string, number>();
  const gitTagEnv = gitEnv();
  const uploadToken = attest.sandbox.github.issueToken(REPOSITORY, { contents: 'write' });

  const fixture: VerifyFixture = {
    attest,
    packagist,
    repo,
    gitServer,
    localGitEnv: { GIT_CONFIG_KEY_1: `url.${repo.dir}.insteadOf` },
    work,
    packagistToken: alice.safeToken,
    maintainerKey,
    policyFile,
    expiredKey,
    expiredKeyTwin,
    commit: (version) => repo.commit({ 'VERSION.txt': `${version}\n` }, `Prepare ${version}`),
    signTag: async (tag, commit, key = maintainerKey, now = new Date()) => {
      await createSignedTag({
        cwd: repo.dir,
        env: gitTagEnv,
        tag,
        target: commit,
        message: `Release ${tag}`,
        key,
        now,
      });
    },
    archive: async (version, tag) => {
      const zipFile = join(work.path, `${releaseFileNames(PACKAGE, version).zip}`);
      const archive = await buildArchive({ cwd: repo.dir, ref: tag, outFile: zipFile });
      return { zipFile, zipSha256: archive.sha256, contentDigest: archive.contentDigest };
    },
    createRelease: (tag) => {
      if (releases.has(tag)) return;
      releases.set(tag, attest.sandbox.github.createRelease(REPOSITORY, tag).id);
    },
    attestZip: async (release, options = {}) => {
      const version = options.version ?? release.version;
      const run =
        options.run ??
        attest.gitHubRun(
          { ref: `refs/tags/${release.tag}`, sha: release.commit, ...options.job },
          {
            config: {
              storeReleaseAsset: options.storeReleaseAsset ?? true,
              storeGitHubAttestation: options.storeGitHubAttestation ?? true,
            },
          },
        );
      fixture.createRelease(release.tag);
      return attestRelease(
        run.config,
        {
          release: { packageName: PACKAGE, version, tag: release.tag },
          subjects: releaseSubjects({
            packageName: PACKAGE,
            version,
            zipSha256: release.zipSha256,
            contentDigest: release.contentDigest,
          }),
        },
        run.deps,
      );
    },
    uploadAsset: async (tag, name, content) => {
      fixture.createRelease(tag);
      const id = releases.get(tag)!;
      const url = `${attest.sandbox.github.url}/uploads/repos/${REPOSITORY}/releases/${id}/assets?name=${encodeURIComponent(name)}`;
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${uploadToken}`, 'content-type': 'application/octet-stream' },
        body: typeof content === 'string' ? content : new Uint8Array(content),
      });
      if (response.status !== 201)
        throw new Error(`upload of ${name} failed: ${response.status} ${await response.text()}`);
    },
    crawl: async () => {
      const outcome = await packagist.crawlNow(PACKAGE);
      if (outcome.status !== 'completed') throw new Error(`crawl ${outcome.status}: ${outcome.message}`);
    },
    release: async (version, options = {}) => {
      const tag = `v${version}`;
      const commit = await fixture.commit(version);
      await fixture.signTag(tag, commit);
      const release: MadeRelease = { version, tag, commit, ...(await fixture.archive(version, tag)) };
      fixture.createRelease(tag);
      if (options.attest !== false) await fixture.attestZip(release);
      if (options.uploadZip !== false) {
        await fixture.uploadAsset(tag, releaseFileNames(PACKAGE, version).zip, await readFile(release.zipFile));
      }
      await fixture.crawl();
      return release;
    },
    cliEnv: () => ({
      ...gitEnv(),
      // https://github.com/acme/hello.git is served by git's own http-backend, as a hosted server would.
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_1: `url.${gitServer.url}/${REPOSITORY}.git.insteadOf`,
      GIT_CONFIG_VALUE_1: `${REPOSITORY_URL}.git`,
    }),
    cli: (argv, options = {}) =>
      runCli(argv, { cwd: options.cwd ?? work.path, env: { ...fixture.cliEnv(), ...options.env } }),
    verify: async (version, extra = []) => {
      const run = await fixture.cli(['verify', PACKAGE, version, '--json', '--policy', policyFile, ...extra]);
      return { ...run, report: reportOf(run) };
    },
    writeFile: async (name, content) => {
      const path = join(work.path, `${Math.random().toString(16).slice(2)}-${name}`);
      await writeFile(path, content);
      return path;
    },
    lockEntry: (release, override = {}) => {
      const reference = 'reference' in override ? override.reference : release.commit;
      return {
        name: PACKAGE,
        version: release.tag,
        source: { type: 'git', url: `${REPOSITORY_URL}.git`, reference },
        dist: {
          type: 'zip',
          url: override.distUrl ?? `${packagist.url}/dists/${PACKAGE}/${release.commit}.zip`,
          reference,
          shasum: '',
        },
      };
    },
    writeLock: (packages, options = {}) =>
      fixture.writeFile(
        'composer.lock',
        `${options.prefix ?? ''}${JSON.stringify({ _readme: ['test'], 'content-hash': 'x', packages, 'packages-dev': [] }, null, 4)}`,
      ),
    close: async () => {
      await gitServer.close();
      await packagist.close();
      await attest.close();
      await repo.cleanup();
      await work.cleanup();
    },
  };
  return fixture;
}
