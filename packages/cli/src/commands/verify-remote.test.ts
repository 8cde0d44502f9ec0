/**
 * What `phpublish verify` does with remote answers it cannot use — malformed Packagist metadata,
 * references that are not commits, refusals, answers too large, malformed GitHub API answers —
 * through the real `main()`, against the sandbox behind small hostile servers on 127.0.0.1.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { releaseFileNames } from '@phpublish/core/attest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import {
  type CliRun,
  explainOnFailure,
  failures,
  type MadeRelease,
  PACKAGE,
  REPOSITORY,
  reportOf,
  startVerifyFixture,
  type VerifyFixture,
} from './testing/verify-fixture.js';

/** A second package of the vendor, whose metadata only the hostile Packagist serves. */
const EVIL = 'acme/evil';
/** The baseline release's tag. */
const TAG = 'v1.0.0';

let fixture: VerifyFixture;
let baseline: MadeRelease;
/** The policy of the fixture, widened to every package of acme. */
let vendorPolicyFile: string;
/** acme/hello's p2 document as the sandbox Packagist serves it (minified). */
let helloP2: P2Document;
let packagist: HostileServer;
let github: HostileServer;

beforeAll(async () => {
  fixture = await startVerifyFixture();
  baseline = await fixture.release('1.0.0');
  const base = JSON.parse(await readFile(fixture.policyFile, 'utf8')) as { packages: Record<string, unknown> };
  vendorPolicyFile = join(fixture.work.path, 'vendor.policy.json');
  await writeFile(vendorPolicyFile, JSON.stringify({ ...base, packages: { 'acme/*': base.packages[PACKAGE] } }));
  helloP2 = (await (await fetch(`${fixture.packagist.url}/p2/${PACKAGE}.json`)).json()) as P2Document;
  packagist = await startHostileServer(fixture.packagist.url);
  github = await startHostileServer(fixture.attest.sandbox.github.url);
}, 120_000);

beforeEach(() => {
  packagist.reset();
  github.reset();
});

afterAll(async () => {
  await github?.close();
  await packagist?.close();
  await fixture?.close();
});

interface P2Document {
  minified?: string;
  packages: Record<string, Record<string, unknown>[]>;
}

/** One version entry of acme/evil, complete (not minified), at the baseline's commit unless changed. */
function evilEntry(change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: EVIL,
    version: TAG,
    version_normalized: '1.0.0.0',
    source: { type: 'git', url: 'https://github.com/acme/evil.git', reference: baseline.commit },
    dist: { type: 'zip', url: `${fixture.packagist.url}/dists/${EVIL}/x.zip`, reference: baseline.commit, shasum: '' },
    ...change,
  };
}

/** acme/hello's own metadata with the entry of `tag` changed (the document stays minified). */
function helloWith(tag: string, change: (entry: Record<string, unknown>) => void): P2Document {
  const document = structuredClone(helloP2);
  const entries = document.packages[PACKAGE]!;
  // In the minified format an entry lists only what changed: give the changed entry its own source.
  const index = entries.findIndex((entry) => entry['version'] === tag);
  expect(index).toBeGreaterThanOrEqual(0);
  const full = { ...expand(entries)[index]! };
  change(full);
  entries[index] = full;
  // The next entry is a diff against this one: make it complete too, so that only `tag` changes.
  if (entries[index + 1]) entries[index + 1] = { ...expand(helloP2.packages[PACKAGE]!)[index + 1]! };
  return document;
}

/** Composer's minified expansion, written out here so that the tests do not lean on the code under test. */
function expand(entries: Record<string, unknown>[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const entry of entries) {
    const current = { ...(out.at(-1) ?? {}) };
    for (const [key, value] of Object.entries(entry)) {
      if (value === '__unset') delete current[key];
      else current[key] = value;
    }
    out.push(current);
  }
  return out;
}

function verifyPackage(name: string, version: string, extra: string[] = []) {
  return fixture.cli([
    'verify',
    name,
    version,
    '--json',
    '--policy',
    vendorPolicyFile,
    '--packagist-url',
    packagist.url,
    ...extra,
  ]);
}

function verifyLock(lock: string, extra: string[] = []) {
  return fixture.cli([
    'verify',
    '--lock',
    lock,
    '--json',
    '--policy',
    vendorPolicyFile,
    '--packagist-url',
    packagist.url,
    ...extra,
  ]);
}

function detailOf(run: CliRun, check: string, packageName = PACKAGE): string {
  const pkg = reportOf(run).packages.find((p) => p.packageName === packageName);
  return pkg?.checks.find((c) => c.check === check)?.detail ?? '';
}

describe('phpublish verify, when remote answers cannot be used', () => {
  describe('when Packagist metadata has fields of the wrong type', () => {
    it.each([
      ['source.reference is a number', { source: { type: 'git', url: 'https://x.invalid/a.git', reference: 12345 } }],
      ['source.reference is an object', { source: { type: 'git', url: 'https://x.invalid/a.git', reference: {} } }],
      ['source.reference is a list', { source: { type: 'git', url: 'https://x.invalid/a.git', reference: ['a'] } }],
      ['source is a string', { source: 'https://x.invalid/a.git' }],
      ['source.url is a number', { source: { type: 'git', url: 7, reference: 'a'.repeat(40) } }],
      ['dist.url is an object', { dist: { type: 'zip', url: { href: 'x' }, reference: 'a'.repeat(40) } }],
      ['dist.reference is a number', { dist: { type: 'zip', url: 'https://x.invalid/a.zip', reference: 1 } }],
      ['version is a number', { version: 1 }],
      ['version_normalized is a list', { version_normalized: ['1.0.0.0'] }],
    ])('fails the Packagist check with PACKAGIST_METADATA_INVALID when %s', async (_what, change) => {
      packagist.serve(`/p2/${EVIL}.json`, json({ packages: { [EVIL]: [evilEntry(change)] } }));
      const run = await verifyPackage(EVIL, baseline.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(reportOf(run), EVIL)).toEqual({ packagist: 'PACKAGIST_METADATA_INVALID' });
      expect(run.stderr).not.toMatch(/internal error|is not a function/);
    });

    it.each([
      ['"packages" is a list', () => ({ packages: [] })],
      ['the package is an object, not a list of versions', () => ({ packages: { [EVIL]: { [TAG]: evilEntry() } } })],
      ['a version entry is a string', () => ({ packages: { [EVIL]: [TAG] } })],
      ['a version entry has no version', () => ({ packages: { [EVIL]: [{ ...evilEntry(), version: undefined }] } })],
      [
        'a later, minified entry changes a reference to a number',
        () => ({
          minified: 'composer/2.0',
          packages: {
            [EVIL]: [
              evilEntry({ version: 'v1.1.0', version_normalized: '1.1.0.0' }),
              { version: TAG, version_normalized: '1.0.0.0', source: { reference: 5 } },
            ],
          },
        }),
      ],
      [
        'a later, minified entry unsets the version',
        () => ({
          minified: 'composer/2.0',
          packages: { [EVIL]: [evilEntry({ version: 'v1.1.0' }), { version: '__unset' }] },
        }),
      ],
    ])('fails the Packagist check with PACKAGIST_METADATA_INVALID when %s', async (_what, document) => {
      packagist.serve(`/p2/${EVIL}.json`, json(document()));
      const run = await verifyPackage(EVIL, TAG);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(reportOf(run), EVIL)).toEqual({ packagist: 'PACKAGIST_METADATA_INVALID' });
    });

    it('names where the metadata is wrong', async () => {
      packagist.serve(
        `/p2/${EVIL}.json`,
        json({ packages: { [EVIL]: [evilEntry({ source: { type: 'git', reference: 12345 } })] } }),
      );
      const run = await verifyPackage(EVIL, baseline.tag);
      explainOnFailure(() => run);
      expect(detailOf(run, 'packagist', EVIL)).toMatch(/source\.reference/);
      expect(detailOf(run, 'packagist', EVIL)).toContain(baseline.tag);
    });

    it('reports the bad package in its own row of a composer.lock run, and verifies the others', async () => {
      packagist.serve(
        `/p2/${EVIL}.json`,
        json({
          packages: {
            [EVIL]: [evilEntry({ source: { type: 'git', url: 'https://x.invalid/a.git', reference: 12345 } })],
          },
        }),
      );
      const lock = await fixture.writeLock([
        // Without a locked reference, the commit comes from the metadata.
        { name: EVIL, version: baseline.tag },
        fixture.lockEntry(baseline),
        {
          name: EVIL,
          version: baseline.tag,
          source: { type: 'git', url: 'https://github.com/acme/hello.git', reference: baseline.commit },
        },
      ]);
      const run = await verifyLock(lock);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      const packages = reportOf(run).packages;
      expect(packages.map((p) => [p.packageName, p.status])).toEqual([
        [EVIL, 'failed'],
        [PACKAGE, 'verified'],
        [EVIL, 'failed'],
      ]);
      for (const pkg of [packages[0]!, packages[2]!]) {
        expect(pkg.checks.find((c) => c.check === 'packagist')).toMatchObject({
          status: 'failed',
          code: 'PACKAGIST_METADATA_INVALID',
        });
      }
    });
  });

  describe('when the metadata names something that is not a commit', () => {
    it.each([
      ['HEAD', 'HEAD'],
      ['a branch', 'main'],
      ['a short commit id', 'abc1234'],
      ['a full ref', 'refs/tags/v1.0.0'],
      ['39 hex digits', 'a'.repeat(39)],
      ['41 hex digits', 'a'.repeat(41)],
      ['upper-case hex', 'A'.repeat(40)],
      ['a commit id with a newline', `${'a'.repeat(40)}\n`],
      ['an empty string', ''],
    ])('refuses %s with PACKAGIST_REFERENCE_NOT_COMMIT, not as a moved tag', async (_what, reference) => {
      packagist.serve(
        `/p2/${PACKAGE}.json`,
        json(
          helloWith(baseline.tag, (entry) => {
            entry['source'] = { ...(entry['source'] as object), reference };
            entry['dist'] = { ...(entry['dist'] as object), reference };
          }),
        ),
      );
      const run = await verifyPackage(PACKAGE, baseline.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(reportOf(run))).toEqual({ packagist: 'PACKAGIST_REFERENCE_NOT_COMMIT' });
    });

    it('goes on with the commit composer.lock pins, and reports the metadata in the Packagist row', async () => {
      packagist.serve(
        `/p2/${PACKAGE}.json`,
        json(
          helloWith(baseline.tag, (entry) => {
            entry['source'] = { ...(entry['source'] as object), reference: 'HEAD' };
          }),
        ),
      );
      const run = await verifyLock(await fixture.writeLock([fixture.lockEntry(baseline)]));
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(reportOf(run))).toEqual({ packagist: 'PACKAGIST_REFERENCE_NOT_COMMIT' });
      const checks = reportOf(run).packages[0]!.checks;
      expect(checks.filter((c) => c.status === 'passed').map((c) => c.check)).toEqual([
        'tag',
        'signature',
        'attestation',
        'content',
      ]);
    });
  });

  describe('when Packagist refuses to serve the metadata', () => {
    it.each([401, 403])('says that access was refused (HTTP %i), not that credentials were', async (status) => {
      packagist.serve(`/p2/${PACKAGE}.json`, json({ status: 'error', message: 'Forbidden' }, status));
      const run = await verifyPackage(PACKAGE, baseline.tag);
      explainOnFailure(() => run);
      expect(run.code).toBe(EXIT.failed);
      expect(failures(reportOf(run))).toEqual({ packagist: 'PACKAGIST_ACCESS_DENIED' });
      expect(detailOf(run, 'packagist')).not.toContain('refused the credentials');
      expect(detailOf(run, 'packagist')).toContain('phpublish sent no credentials');
      expect(detailOf(run, 'packagist')).toContain(`HTTP ${status}`);
    });
  });
});

describe('phpublish verify, when a remote answer is too large', () => {
  it('refuses Packagist metadata over --max-size metadata from its bytes, without asking again', async () => {
    packagist.serve(`/p2/${PACKAGE}.json`, stream(2 * MiB));
    const run = await verifyPackage(PACKAGE, TAG, ['--max-size', 'metadata=1MiB']);
    explainOnFailure(() => run);
    expect(run.code).toBe(EXIT.failed);
    expect(failures(reportOf(run))).toEqual({ packagist: 'REMOTE_ANSWER_TOO_LARGE' });
    expect(detailOf(run, 'packagist')).toContain('larger than the 1 MiB allowed for package metadata');
    expect(run.stdout).not.toContain('PACKAGIST_UNREACHABLE');
    expect(packagist.hits(`/p2/${PACKAGE}.json`)).toBe(1);
  });

  it('refuses at once an answer whose Content-Length is too large, without waiting for its body', async () => {
    packagist.serve(`/p2/${PACKAGE}.json`, (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(600 * MiB) });
      // A trickle that would take minutes: the header alone must be enough.
      response.write('{"packages":');
    });
    const started = Date.now();
    const run = await verifyPackage(PACKAGE, TAG);
    explainOnFailure(() => run);
    expect(failures(reportOf(run))).toEqual({ packagist: 'REMOTE_ANSWER_TOO_LARGE' });
    expect(detailOf(run, 'packagist')).toContain('(it announced 600 MiB)');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(packagist.hits(`/p2/${PACKAGE}.json`)).toBe(1);
  });

  it('has a default limit for metadata when none is given', async () => {
    packagist.serve(`/p2/${PACKAGE}.json`, stream(33 * MiB));
    const run = await verifyPackage(PACKAGE, TAG);
    explainOnFailure(() => run);
    expect(failures(reportOf(run))).toEqual({ packagist: 'REMOTE_ANSWER_TOO_LARGE' });
    expect(detailOf(run, 'packagist')).toContain('the 32 MiB allowed');
    expect(packagist.hits(`/p2/${PACKAGE}.json`)).toBe(1);
  });

  it('refuses a dist zip over --max-size dist, once, in the content row', async () => {
    packagist.serve('/huge.zip', stream(2 * MiB, 'application/zip'));
    const lock = await fixture.writeLock([
      fixture.lockEntry(baseline, { distUrl: `${packagist.url}/huge.zip?token=secret` }),
    ]);
    const run = await verifyLock(lock, ['--max-size', 'dist=1MiB']);
    explainOnFailure(() => run);
    expect(run.code).toBe(EXIT.failed);
    expect(failures(reportOf(run))).toEqual({ content: 'REMOTE_ANSWER_TOO_LARGE' });
    expect(detailOf(run, 'content')).toContain(`${packagist.url}/huge.zip is larger than the 1 MiB allowed`);
    expect(run.stdout).not.toContain('secret');
    expect(packagist.hits('/huge.zip')).toBe(1);
  });

  it('refuses an attestation bundle over --max-size bundle', async () => {
    const release = await fixture.release('1.1.0', { attest: false });
    await fixture.uploadAsset(release.tag, releaseFileNames(PACKAGE, '1.1.0').bundle, `{"x":"${'x'.repeat(100_000)}"}`);
    const run = await verifyPackage(PACKAGE, release.tag, ['--max-size', 'bundle=64KiB']);
    explainOnFailure(() => run);
    expect(run.code).toBe(EXIT.failed);
    expect(failures(reportOf(run))).toEqual({ attestation: 'REMOTE_ANSWER_TOO_LARGE' });
    expect(detailOf(run, 'attestation')).toContain('the 64 KiB allowed for attestation bundles');
  });

  it('refuses a GitHub API answer over --max-size api', async () => {
    github.serve(
      RELEASE_PATH,
      json({ upload_url: 'https://uploads.invalid/x', assets: [], body: 'x'.repeat(100_000) }),
    );
    github.serve(ATTESTATIONS_PATH, json({ attestations: [] }));
    const run = await verifyPackage(PACKAGE, TAG, [
      '--github-api-url',
      github.url,
      '--max-size',
      'metadata=32MiB,api=64KiB',
    ]);
    explainOnFailure(() => run);
    expect(failures(reportOf(run))).toEqual({ attestation: 'REMOTE_ANSWER_TOO_LARGE' });
    expect(github.hits(`/repos/${REPOSITORY}/releases/tags/${TAG}`)).toBe(1);
  });

  it.each([
    ['metadata'],
    ['metadata=big'],
    ['metadata=0'],
    ['metadata=-1MiB'],
    ['zips=1GiB'],
    ['dist=1GiB=2'],
    ['metadata=1MiB,'],
  ])('exits 2 for --max-size %s', async (setting) => {
    const run = await verifyPackage(PACKAGE, TAG, ['--max-size', setting]);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/phpublish verify: --max-size: ".*" is not (<kind>=<size>|a size)/);
  });
});

describe('phpublish verify, when GitHub’s API answers something else than its API', () => {
  it.each([
    [
      'an asset name is a number',
      () => ({ upload_url: 'https://uploads.invalid/x', assets: [{ name: 5, url: github.url }] }),
    ],
    [
      'an asset URL is not a URL',
      () => ({ upload_url: 'https://uploads.invalid/x', assets: [{ name: 'x', url: 'javascript:1' }] }),
    ],
    ['the assets are an object', () => ({ upload_url: 'https://uploads.invalid/x', assets: {} })],
    ['the answer is a list', () => []],
  ])('fails the attestation with REMOTE_ANSWER_MALFORMED when %s', async (_what, release) => {
    github.serve(RELEASE_PATH, json(release()));
    github.serve(ATTESTATIONS_PATH, json({ attestations: [] }));
    const run = await verifyPackage(PACKAGE, TAG, ['--github-api-url', github.url]);
    explainOnFailure(() => run);
    expect(run.code).toBe(EXIT.failed);
    expect(failures(reportOf(run))).toEqual({ attestation: 'REMOTE_ANSWER_MALFORMED' });
    expect(run.stderr).not.toMatch(/internal error/);
  });

  it.each([
    ['the attestations are a string', { attestations: 'x' }],
    ['a bundle is a string', { attestations: [{ bundle: 'x' }] }],
    ['the answer is not JSON', '<html>Sign in</html>'],
  ])('fails the attestation with REMOTE_ANSWER_MALFORMED when the store says %s', async (_what, answer) => {
    github.serve(RELEASE_PATH, json({ message: 'Not Found' }, 404));
    github.serve(ATTESTATIONS_PATH, (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(typeof answer === 'string' ? answer : JSON.stringify(answer));
    });
    const run = await verifyPackage(PACKAGE, TAG, ['--github-api-url', github.url]);
    explainOnFailure(() => run);
    expect(failures(reportOf(run))).toEqual({ attestation: 'REMOTE_ANSWER_MALFORMED' });
  });

  it('sends the GitHub token to the API only, not to an asset URL elsewhere', async () => {
    const real = await realRelease(TAG);
    const bundleName = releaseFileNames(PACKAGE, '1.0.0').bundle;
    const bundle = await download(real.assets.find((asset) => asset.name === bundleName)!.url);
    let sentThere: string | undefined = 'not asked';
    packagist.serve('/elsewhere/bundle.json', (request, response) => {
      sentThere = request.headers.authorization;
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bundle);
    });
    github.serve(
      RELEASE_PATH,
      json({ ...real, assets: [{ name: bundleName, url: `${packagist.url}/elsewhere/bundle.json` }] }),
    );
    github.serve(ATTESTATIONS_PATH, json({ message: 'Not Found' }, 404));
    const token = fixture.attest.sandbox.github.issueToken(REPOSITORY, { contents: 'read' });
    const run = await fixture.cli(
      ['verify', PACKAGE, TAG, '--json', '--policy', vendorPolicyFile, '--github-api-url', github.url],
      { env: { GITHUB_TOKEN: token } },
    );
    explainOnFailure(() => run);
    expect(run.code).toBe(EXIT.ok);
    expect(sentThere).toBeUndefined();
  });
});

/** The release of `tag` as the sandbox GitHub describes it. */
async function realRelease(tag: string): Promise<{ assets: { name: string; url: string }[] }> {
  const response = await fetch(`${fixture.attest.sandbox.github.url}/repos/${REPOSITORY}/releases/tags/${tag}`);
  return (await response.json()) as { assets: { name: string; url: string }[] };
}

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url, { headers: { accept: 'application/octet-stream' } });
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

const MiB = 1024 * 1024;
const RELEASE_PATH = `/repos/${REPOSITORY}/releases/tags/${TAG}`;
const ATTESTATIONS_PATH = new RegExp(`^/repos/${REPOSITORY}/attestations/`);

/** An answer of `bytes` bytes without Content-Length (chunked): its size shows only as it arrives. */
const stream =
  (bytes: number, contentType = 'application/json'): Answer =>
  async (_request, response) => {
    response.writeHead(200, { 'content-type': contentType });
    const piece = Buffer.alloc(64 * 1024, 0x20);
    response.on('error', () => {});
    for (let sent = 0; sent < bytes && !response.destroyed; sent += piece.length) {
      if (!response.write(piece)) {
        await new Promise((resolve) => {
          response.once('drain', resolve);
          response.once('close', resolve);
        });
      }
    }
    if (!response.destroyed) response.end();
  };

/** What a hostile server answers for one path. */
type Answer = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

interface HostileServer {
  url: string;
  /** Answers `path` (every time, until `reset`) with `answer`; other paths go to the upstream server. */
  serve(path: string | RegExp, answer: Answer): void;
  /** How many requests each path got. */
  hits(path: string): number;
  reset(): void;
  close(): Promise<void>;
}

const json =
  (value: unknown, status = 200): Answer =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  };

/**
 * A server in front of a sandbox service: chosen paths get the test's answer, every other request
 * is passed on as it is. Overrides last until the next test (reset before each use).
 */
async function startHostileServer(upstream: string): Promise<HostileServer> {
  let overrides: { path: string | RegExp; answer: Answer }[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const override = overrides.find((o) => (typeof o.path === 'string' ? o.path === path : o.path.test(path)));
    try {
      if (override) return await override.answer(request, response);
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)),
      ) as Record<string, string>;
      const passed = await fetch(`${upstream}${request.url}`, {
        method: request.method,
        headers,
        redirect: 'manual',
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      const body = Buffer.from(await passed.arrayBuffer());
      const out: Record<string, string> = {};
      passed.headers.forEach((value, name) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name))
          out[name] = value;
      });
      response.writeHead(passed.status, out).end(body);
    } catch (error) {
      if (!response.headersSent) response.writeHead(502).end(String(error));
      else response.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    serve: (path, answer) => {
      overrides = [{ path, answer }, ...overrides];
    },
    hits: (path) => counts.get(path) ?? 0,
    reset: () => {
      overrides = [];
      counts.clear();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
