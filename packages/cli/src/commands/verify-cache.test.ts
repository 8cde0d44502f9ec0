import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type SandboxSigstore, startSandboxSigstore } from '@phpublish/sandbox';
import { generateTestKey } from '@phpublish/testing/pgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import {
  explainOnFailure,
  failures,
  type MadeRelease,
  PACKAGE,
  reportOf,
  startVerifyFixture,
  type VerifyFixture,
} from './testing/verify-fixture.js';

let fixture: VerifyFixture;
let otherSigstore: SandboxSigstore;
let caches = 0;

beforeAll(async () => {
  fixture = await startVerifyFixture();
  otherSigstore = await startSandboxSigstore({ tsa: false });
}, 120_000);
afterAll(async () => {
  await otherSigstore?.close();
  await fixture?.close();
});

/** A new, empty cache folder in the fixture's folder. */
const newCacheDir = () => join(fixture.work.path, `cache-${caches++}`);

/** The cache's entry files of one kind (bundle, tag, dist), by path, with their text. */
async function entries(cacheDir: string, kind: 'bundle' | 'tag' | 'dist'): Promise<Map<string, string>> {
  const dir = join(cacheDir, 'verify-v1', kind);
  const names = await readdir(dir).catch(() => [] as string[]);
  const files = names.filter((name) => name.endsWith('.json')).map((name) => join(dir, name));
  return new Map(await Promise.all(files.map(async (file) => [file, await readFile(file, 'utf8')] as const)));
}

/** The fixture's policy with `edit` applied, written to a new file. */
interface PolicyJson {
  trustedRoot?: string;
  packages: Record<string, { keys: string[]; identities: { workflow: string }[] }>;
}
async function policyWith(edit: (policy: PolicyJson) => void): Promise<string> {
  const policy = JSON.parse(await readFile(fixture.policyFile, 'utf8'));
  edit(policy);
  return fixture.writeFile('policy.json', JSON.stringify(policy));
}

async function verifyCached(version: string, cacheDir: string, policy = fixture.policyFile) {
  const run = await fixture.cli(['verify', PACKAGE, version, '--json', '--policy', policy, '--cache-dir', cacheDir]);
  return { ...run, report: reportOf(run) };
}

/** Serves whichever zip `body` holds now. */
async function serveZip(initial: Buffer) {
  const served = { body: initial };
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/zip' });
    response.end(served.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    served,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('phpublish verify with a cache', () => {
  let release: MadeRelease;
  let cacheDir: string;
  beforeAll(async () => {
    release = await fixture.release('3.0.0');
    cacheDir = newCacheDir();
  });

  it('keeps what passed (bundle, tag signature, dist digest) and gives the same report from it', async () => {
    const cold = await verifyCached(release.tag, cacheDir);
    explainOnFailure(() => cold);
    expect(cold.code).toBe(EXIT.ok);
    const written = {
      bundle: await entries(cacheDir, 'bundle'),
      tag: await entries(cacheDir, 'tag'),
      dist: await entries(cacheDir, 'dist'),
    };
    expect([written.bundle.size, written.tag.size, written.dist.size]).toEqual([1, 1, 1]);

    const files = [...written.bundle.keys(), ...written.tag.keys(), ...written.dist.keys()];
    const inodes = await Promise.all(files.map(async (file) => (await stat(file)).ino));
    const warm = await verifyCached(release.tag, cacheDir);
    expect(warm.code).toBe(EXIT.ok);
    expect(warm.report.packages).toEqual(cold.report.packages);
    // Read, not written again: an entry is only ever replaced by renaming a new file over it.
    expect(await Promise.all(files.map(async (file) => (await stat(file)).ino))).toEqual(inodes);
  });

  it('ignores tampered entries, verifies again, and writes them anew', async () => {
    const before = new Map([
      ...(await entries(cacheDir, 'bundle')),
      ...(await entries(cacheDir, 'tag')),
      ...(await entries(cacheDir, 'dist')),
    ]);
    expect(before.size).toBe(3);
    for (const [file, text] of before) {
      // Another signer, another signing time, another content digest: the checksum no longer matches.
      await writeFile(file, text.replace(/"(subjectAlternativeName|created|contentDigest)":"[^"]*"/, '"$1":"forged"'));
    }
    const run = await verifyCached(release.tag, cacheDir);
    explainOnFailure(() => run);
    expect(run.code).toBe(EXIT.ok);
    // Each verified again and written anew: the entries are what the first run wrote.
    for (const [file, text] of before) expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('verifies the bundle again when the policy names another identity: a cached pass does not carry over', async () => {
    const policy = await policyWith((p) => {
      p.packages[PACKAGE]!.identities[0]!.workflow = '.github/workflows/ci.yml';
    });
    const run = await verifyCached(release.tag, cacheDir, policy);
    explainOnFailure(() => run);
    expect(run.code).toBe(EXIT.failed);
    expect(failures(run.report)).toEqual({ attestation: 'ATTEST_WORKFLOW_MISMATCH' });
  });

  it('verifies the bundle again when the trusted root changes', async () => {
    const root = await fixture.writeFile('other_root.json', JSON.stringify(otherSigstore.trustedRoot));
    const policy = await policyWith((p) => {
      p.trustedRoot = root;
    });
    const run = await verifyCached(release.tag, cacheDir, policy);
    explainOnFailure(() => run);
    expect(run.code).toBe(EXIT.failed);
    expect(Object.keys(failures(run.report))).toEqual(['attestation']);
    expect(failures(run.report)['attestation']).toMatch(/^ATTEST_/);
  });

  it('verifies the tag signature again when the trusted keys change', async () => {
    const stranger = await generateTestKey('ed25519', { userId: { name: 'Stranger', email: 'stranger@example.test' } });
    const key = await fixture.writeFile('stranger.asc', stranger.armoredPublicKey);
    const policy = await policyWith((p) => {
      p.packages[PACKAGE]!.keys = [key];
    });
    const run = await verifyCached(release.tag, cacheDir, policy);
    explainOnFailure(() => run);
    expect(run.code).toBe(EXIT.failed);
    expect(failures(run.report)).toEqual({ signature: 'VERIFY_TAG_UNTRUSTED_KEY' });
  });

  it('never caches a failure: an attestation by another workflow fails every time, and leaves no entry', async () => {
    const other = await fixture.release('3.1.0', { attest: false });
    await fixture.attestZip(other, { job: { workflowPath: '.github/workflows/ci.yml' } });
    const dir = newCacheDir();
    for (let run = 0; run < 2; run += 1) {
      const failed = await verifyCached(other.tag, dir);
      explainOnFailure(() => failed);
      expect(failed.code).toBe(EXIT.failed);
      expect(failures(failed.report)).toEqual({ attestation: 'ATTEST_WORKFLOW_MISMATCH' });
    }
    expect((await entries(dir, 'bundle')).size).toBe(0);
  });

  it('never hides a dist swapped since the cached pass (the dist is downloaded anew)', async () => {
    const swapped = await fixture.release('3.2.0');
    const mirror = await serveZip(await readFile(swapped.zipFile));
    const dir = newCacheDir();
    try {
      const lock = await fixture.writeLock([
        fixture.lockEntry(swapped, { distUrl: `${mirror.url}/acme-hello-3.2.0.zip` }),
      ]);
      const verify = () =>
        fixture.cli(['verify', '--lock', lock, '--json', '--policy', fixture.policyFile, '--cache-dir', dir]);
      const first = await verify();
      explainOnFailure(() => first);
      expect(first.code).toBe(EXIT.ok);
      mirror.served.body = await readFile(release.zipFile);
      const second = await verify();
      explainOnFailure(() => second);
      expect(second.code).toBe(EXIT.failed);
      expect(failures(JSON.parse(second.stdout))).toEqual({ content: 'ATTEST_CONTENT_MISMATCH' });
    } finally {
      await mirror.close();
    }
  });

  it('never hides a tag moved since the cached pass (refs are fetched anew)', async () => {
    const moved = await fixture.release('3.3.0');
    const dir = newCacheDir();
    const first = await verifyCached(moved.tag, dir);
    explainOnFailure(() => first);
    expect(first.code).toBe(EXIT.ok);
    const other = await fixture.commit('3.3.0-moved');
    await fixture.repo.git(['tag', '-d', moved.tag]);
    await fixture.signTag(moved.tag, other);
    const second = await verifyCached(moved.tag, dir);
    explainOnFailure(() => second);
    expect(second.code).toBe(EXIT.failed);
    expect(failures(second.report)).toEqual({ tag: 'VERIFY_TAG_MOVED' });
  });

  it('never passes a cached signed tag served under another version’s name', async () => {
    const dir = newCacheDir();
    const first = await verifyCached(release.tag, dir);
    expect(first.code).toBe(EXIT.ok);
    const oid = await fixture.repo.git(['rev-parse', `refs/tags/${release.tag}`]);
    await fixture.repo.git(['update-ref', 'refs/tags/v3.9.0', oid.trim()]);
    await fixture.crawl();
    const run = await verifyCached('v3.9.0', dir);
    explainOnFailure(() => run);
    expect(run.code).toBe(EXIT.failed);
    expect(failures(run.report)).toMatchObject({ signature: 'VERIFY_TAG_NAME_MISMATCH' });
  });

  it('reads and writes nothing with --no-cache, and refuses --no-cache with --cache-dir', async () => {
    const run = await fixture.cli([
      'verify',
      PACKAGE,
      release.tag,
      '--json',
      '--policy',
      fixture.policyFile,
      '--no-cache',
    ]);
    expect(run.code).toBe(EXIT.ok);
    const both = await fixture.cli(['verify', PACKAGE, release.tag, '--no-cache', '--cache-dir', newCacheDir()]);
    expect(both.code).toBe(EXIT.usage);
    expect(both.stderr).toMatch(/either --cache-dir or --no-cache/);
  });

  it('uses $XDG_CACHE_HOME/phpublish by default', async () => {
    const xdg = join(fixture.work.path, 'xdg-cache');
    const run = await fixture.cli(['verify', PACKAGE, release.tag, '--json', '--policy', fixture.policyFile], {
      env: { XDG_CACHE_HOME: xdg },
    });
    expect(run.code).toBe(EXIT.ok);
    expect((await entries(join(xdg, 'phpublish'), 'bundle')).size).toBe(1);
  });
});
