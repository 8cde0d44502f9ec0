/**
 * Many packages released through phpublish in one sandbox, and composer.lock files that install
 * them: what the `verify --lock` benchmark measures. Each package has its own repository, signed
 * tag, reproducible zip, attestation (release asset and attestation store) and Packagist entry.
 * Only for phpublish's own tests and benchmarks.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { systemClock } from '@phpublish/core';
import { buildArchive } from '@phpublish/core/archive';
import { attestRelease, attestSchema, releaseFileNames, releaseSubjects } from '@phpublish/core/attest';
import { createSignedTag } from '@phpublish/core/git';
import { Redactor, silentLogger } from '@phpublish/core/log';
import { loadSigningKey } from '@phpublish/core/pgp';
import { createVerifyAgent } from '@phpublish/core/verify';
import {
  type AttestationSandbox,
  type SandboxGitTagServer,
  type SandboxPackagist,
  startAttestationSandbox,
  startSandboxGitTagServer,
  startSandboxPackagist,
} from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { generateTestKey } from '@phpublish/testing/pgp';
import { createPhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { runCli } from './run-cli.js';

export const VENDOR = 'bench';
const WORKFLOW = '.github/workflows/release.yml';

export interface LockedRelease {
  name: string;
  tag: string;
  commit: string;
}

export interface LockFixture {
  readonly releases: readonly LockedRelease[];
  readonly policyFile: string;
  /** A composer.lock with the first `count` packages. */
  writeLock(count: number): Promise<string>;
  /** `phpublish <argv>` with the real main(); https://github.com/bench/* is served by the sandbox's git tag server. */
  cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The environment `phpublish` needs to find the packages' repositories (for a separate process). */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]!, i);
    }),
  );
  return results;
}

export async function startLockFixture(count: number, log: (line: string) => void = () => {}): Promise<LockFixture> {
  const work: TempDir = await makeTempDir('phpublish-lock-fixture-');
  const repos = join(work.path, 'repos');
  await mkdir(repos);
  const sandbox: AttestationSandbox = await startAttestationSandbox();
  const packagist: SandboxPackagist = await startSandboxPackagist({ crawlDelayMs: 0 });
  // GitHub's git server for the packages' tags: answers computed once per tag, so that the measured
  // CPU is the client's (a hosted server's is not ours).
  const gitServer: SandboxGitTagServer = await startSandboxGitTagServer();
  const agent = createVerifyAgent();
  const maintainer = packagist.addUser({ username: 'maintainer' });
  const key = await generateTestKey('ed25519');
  const signingKey = await loadSigningKey({
    armoredKey: key.armoredPrivateKey,
    keySource: 'bench key',
    passphraseSource: 'bench passphrase',
  });
  const config = attestSchema.parse({
    fulcioUrl: sandbox.sigstore.fulcioUrl,
    rekorUrl: sandbox.sigstore.rekorUrl,
    ...(sandbox.sigstore.tsaUrl ? { tsaUrl: sandbox.sigstore.tsaUrl } : {}),
    githubApiUrl: sandbox.github.url,
    requestTimeout: 30,
  });

  const started = performance.now();
  const names = Array.from({ length: count }, (_, i) => `${VENDOR}/pkg-${String(i + 1).padStart(3, '0')}`);
  const releases = await pool(names, 8, async (name, index) => {
    const repositoryName = name.split('/')[1]!;
    const repo = await createPhpPackageRepo({ name, dir: join(repos, `${repositoryName}.git`) });
    const tag = `v1.${index}.0`;
    const commit = repo.head;
    await createSignedTag({
      cwd: repo.dir,
      env: gitEnv(),
      tag,
      target: commit,
      message: `Release ${tag}`,
      key: signingKey,
    });
    const zipFile = join(work.path, releaseFileNames(name, tag.slice(1)).zip);
    const archive = await buildArchive({ cwd: repo.dir, ref: tag, outFile: zipFile, concurrency: 1 });

    sandbox.github.addRepository(name);
    sandbox.github.createRelease(name, tag);
    const ci = sandbox.githubIssuer.gitHubActionsJob({ repository: name, ref: `refs/tags/${tag}`, sha: commit });
    const token = sandbox.github.issueToken(name, { contents: 'write', attestations: 'write' });
    const env = { ...ci.env, GITHUB_API_URL: sandbox.github.url, GITHUB_TOKEN: token };
    const version = tag.slice(1);
    await attestRelease(
      config,
      {
        release: { packageName: name, version, tag },
        subjects: releaseSubjects({
          packageName: name,
          version,
          zipSha256: archive.sha256,
          contentDigest: archive.contentDigest,
        }),
      },
      {
        env,
        dispatcher: agent,
        clock: systemClock,
        userAgent: 'phpublish-bench',
        redactor: new Redactor(),
        logger: silentLogger,
      },
    );
    const releaseId = await releaseIdOf(sandbox, name, tag);
    const upload = await fetch(
      `${sandbox.github.url}/uploads/repos/${name}/releases/${releaseId}/assets?name=${encodeURIComponent(releaseFileNames(name, version).zip)}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
        body: new Uint8Array(await readFile(zipFile)),
      },
    );
    if (upload.status !== 201) throw new Error(`zip upload for ${name}: HTTP ${upload.status}`);

    const repositoryUrl = `https://github.com/${name}`;
    packagist.addRemote(repositoryUrl, repo.dir);
    await gitServer.addRepository(`/${name}.git`, repo.dir);
    packagist.addPackage({ name, repositoryUrl, maintainers: [maintainer.username] });
    const crawl = await packagist.crawlNow(name);
    if (crawl.status !== 'completed') throw new Error(`crawl of ${name}: ${crawl.message}`);
    if ((index + 1) % 50 === 0) log(`  ${index + 1}/${count} packages released`);
    return { name, tag, commit };
  });
  log(`  ${count} packages released in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // GitHub's zipball endpoint, as composer.lock files of GitHub packages name it: the bytes the
  // sandbox Packagist serves for each commit, fetched once and served from memory (the sandbox
  // starts a git process for every dist request, which would measure the sandbox, not verify).
  const zipballs = new Map<string, Buffer>();
  await pool(releases, 8, async (r) => {
    const response = await fetch(`${packagist.url}/dists/${r.name}/${r.commit}.zip`);
    zipballs.set(`/repos/${r.name}/zipball/${r.commit}`, Buffer.from(await response.arrayBuffer()));
  });
  const zipballServer = createServer((request, response) => {
    const zip = zipballs.get(request.url ?? '');
    response.writeHead(zip ? 200 : 404, { 'content-type': zip ? 'application/zip' : 'text/plain' });
    response.end(zip ?? 'Not Found');
  });
  await new Promise<void>((resolve) => zipballServer.listen(0, '127.0.0.1', resolve));
  const zipballUrl = `http://127.0.0.1:${(zipballServer.address() as AddressInfo).port}`;

  await writeFile(join(work.path, 'maintainer.asc'), key.armoredPublicKey);
  await writeFile(join(work.path, 'trusted_root.json'), JSON.stringify(sandbox.sigstore.trustedRoot));
  const policyFile = join(work.path, 'phpublish.policy.json');
  await writeFile(
    policyFile,
    JSON.stringify({
      packagistUrl: packagist.url,
      githubApiUrl: sandbox.github.url,
      trustedRoot: 'trusted_root.json',
      packages: {
        [`${VENDOR}/*`]: {
          keys: ['maintainer.asc'],
          identities: [
            {
              issuer: sandbox.githubIssuer.issuer,
              repository: `${VENDOR}/{name}`,
              workflow: WORKFLOW,
              ref: 'refs/tags/{tag}',
            },
          ],
        },
      },
    }),
  );

  const env = {
    ...gitEnv(),
    // Every https://github.com/bench/<name>.git is served by the git tag server: one mapping.
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_1: `url.${gitServer.url}/${VENDOR}/.insteadOf`,
    GIT_CONFIG_VALUE_1: `https://github.com/${VENDOR}/`,
  };
  return {
    releases,
    policyFile,
    writeLock: async (n) => {
      const file = join(work.path, `composer-${n}.lock`);
      const packages = releases.slice(0, n).map((r) => ({
        name: r.name,
        version: r.tag,
        source: { type: 'git', url: `https://github.com/${r.name}.git`, reference: r.commit },
        dist: {
          type: 'zip',
          url: `${zipballUrl}/repos/${r.name}/zipball/${r.commit}`,
          reference: r.commit,
          shasum: '',
        },
        type: 'library',
      }));
      await writeFile(file, JSON.stringify({ 'content-hash': 'bench', packages, 'packages-dev': [] }, null, 2));
      return file;
    },
    env,
    cli: (argv) => runCli(argv, { cwd: work.path, env }),
    close: async () => {
      await new Promise((resolve) => zipballServer.close(resolve));
      await gitServer.close();
      await agent.close();
      await packagist.close();
      await sandbox.close();
      await work.cleanup();
    },
  };
}

/** The sandbox GitHub's id of a release (its API lists it by tag). */
async function releaseIdOf(sandbox: AttestationSandbox, name: string, tag: string): Promise<number> {
  const response = await fetch(`${sandbox.github.url}/repos/${name}/releases/tags/${tag}`);
  return ((await response.json()) as { id: number }).id;
}
