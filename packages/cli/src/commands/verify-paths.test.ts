import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { type CraftEntry, craftZip } from '@phpublish/testing/archive';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { ZipReader, zipInMemory } from '../../../core/src/archive/zip-reader.js';
import { EXIT } from '../exit-codes.js';
import {
  type CliRun,
  failures,
  type MadeRelease,
  PACKAGE,
  startVerifyFixture,
  type VerifyFixture,
  type VerifyJson,
} from './testing/verify-fixture.js';

/**
 * Attacks on what Composer would install, through the real `phpublish verify`: a dist zip whose
 * files are exactly the release's (so its content digest is the attested one) but whose paths
 * would put them somewhere else, and dists that are not zips at all.
 */

let fixture: VerifyFixture;
let release: MadeRelease;
let releaseZip: Buffer;
let mirror: Mirror;

beforeAll(async () => {
  fixture = await startVerifyFixture();
  release = await fixture.release('3.0.0');
  releaseZip = await readFile(release.zipFile);
  mirror = await startMirror();
}, 120_000);

afterAll(async () => {
  await mirror?.close();
  await fixture?.close();
});

/** A dist mirror on 127.0.0.1 that serves whatever bytes were put at a path. */
interface Mirror {
  /** Serves `body` and returns its URL. */
  put(name: string, body: Buffer): string;
  close(): Promise<void>;
}

async function startMirror(): Promise<Mirror> {
  const bodies = new Map<string, Buffer>();
  const server = createServer((request, response) => {
    const body = bodies.get(request.url ?? '');
    response.writeHead(body ? 200 : 404, { 'content-type': 'application/octet-stream' });
    response.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    put(name, body) {
      bodies.set(`/${name}`, body);
      return `http://127.0.0.1:${port}/${name}`;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let served = 0;

/** `phpublish verify --lock` of the release, with its dist served from the mirror (type `zip` unless said). */
async function verifyWithDist(body: Buffer, distType = 'zip'): Promise<CliRun & { report: VerifyJson }> {
  const url = mirror.put(`dist-${served++}.zip`, body);
  const lock = join(fixture.work.path, `composer-${served}.lock`);
  await writeFile(
    lock,
    JSON.stringify({
      packages: [
        {
          name: PACKAGE,
          version: release.tag,
          source: { type: 'git', url: 'https://github.com/acme/hello.git', reference: release.commit },
          dist: { type: distType, url, reference: release.commit, shasum: '' },
        },
      ],
      'packages-dev': [],
    }),
  );
  const run = await fixture.cli(['verify', '--lock', lock, '--json', '--policy', fixture.policyFile]);
  onTestFailed(() => console.error(`exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`));
  return { ...run, report: JSON.parse(run.stdout) as VerifyJson };
}

const MODES: Record<string, number | undefined> = {
  executable: (0o100755 << 16) >>> 0,
  symlink: (0o120777 << 16) >>> 0,
};

/** The release's zip with its entries (same files, same bytes) moved under another top-level folder. */
async function underFolder(folder: string | Buffer): Promise<Buffer> {
  const zip = await ZipReader.open(zipInMemory(releaseZip), 'release zip');
  const prefix = Buffer.from(folder);
  const entries: CraftEntry[] = [];
  for await (const entry of zip.inFileOrder()) {
    const chunks: Buffer[] = [];
    for await (const chunk of zip.content(entry)) chunks.push(Buffer.from(chunk));
    const inside = Buffer.from(entry.name.slice(entry.name.indexOf('/')), 'latin1');
    entries.push({
      name: Buffer.concat([prefix, inside]),
      content: Buffer.concat(chunks),
      method: entry.kind === 'directory' ? 0 : 8,
      ...(MODES[entry.kind] === undefined ? {} : { externalAttributes: MODES[entry.kind] }),
    });
  }
  return craftZip(entries);
}

describe('phpublish verify, when the dist zip holds the release’s files under a hostile top-level folder', () => {
  it('verifies the same files under an ordinary folder (what the attacks below change is only the folder)', async () => {
    const run = await verifyWithDist(await underFolder('acme-hello-elsewhere'));
    expect(run.code).toBe(EXIT.ok);
    expect(failures(run.report)).toEqual({});
  });

  it.each([
    ['..', 'ARCHIVE_PATH_UNSAFE'],
    ['.', 'ARCHIVE_PATH_UNSAFE'],
    ['.git', 'ARCHIVE_PATH_UNSAFE'],
    ['.GIT', 'ARCHIVE_PATH_UNSAFE'],
    ['.git.', 'ARCHIVE_PATH_UNSAFE'],
    ['.git ', 'ARCHIVE_PATH_UNSAFE'],
    ['git~1', 'ARCHIVE_PATH_UNSAFE'],
    ['.g\u200cit', 'ARCHIVE_PATH_UNSAFE'],
    ['C:', 'ARCHIVE_PATH_UNSAFE'],
    ['..\\..\\Windows', 'ARCHIVE_PATH_UNSAFE'],
    ['acme\u0001hello', 'ARCHIVE_PATH_UNSAFE'],
    ['acme\u0000hello', 'ARCHIVE_PATH_UNSAFE'],
    ['CON', 'ARCHIVE_PATH_UNSAFE'],
    ['acme:hello', 'ARCHIVE_PATH_UNSAFE'],
    [Buffer.from([0x61, 0x63, 0xff, 0x6d, 0x65]), 'ARCHIVE_PATH_NOT_UTF8'],
  ])('refuses the folder %j with %s', async (folder, code) => {
    const run = await verifyWithDist(await underFolder(folder));
    expect(run.code).toBe(EXIT.failed);
    expect(run.report.packages[0]!.status).toBe('failed');
    expect(failures(run.report)).toEqual({ content: code });
  });
});

describe('phpublish verify, when the dist is not a zip', () => {
  it.each([
    ['a gzip-compressed tarball of the release', async () => gitArchive('tar.gz'), 'gzip'],
    ['a tar archive', async () => gitArchive('tar'), 'tar archive'],
    ['an HTML error page', async () => Buffer.from('<!doctype html>\n<title>Rate limited</title>\n'), 'HTML'],
    ['nothing at all', async () => Buffer.alloc(0), 'empty'],
  ])('fails %s with VERIFY_DIST_UNAVAILABLE, as docs/verify.md says', async (_what, body, hint) => {
    const run = await verifyWithDist(await body());
    expect(run.code).toBe(EXIT.failed);
    expect(failures(run.report)).toEqual({ content: 'VERIFY_DIST_UNAVAILABLE' });
    const content = run.report.packages[0]!.checks.find((check) => check.check === 'content')!;
    expect(content.detail).toContain('not a zip');
    expect(content.detail).toContain(hint);
  });

  it('fails a dist the lock says is a tarball with VERIFY_DIST_UNAVAILABLE, without reading it', async () => {
    const run = await verifyWithDist(await gitArchive('tar'), 'tar');
    expect(failures(run.report)).toEqual({ content: 'VERIFY_DIST_UNAVAILABLE' });
  });

  it('keeps ARCHIVE_ZIP_INVALID for a zip that is damaged', async () => {
    const damaged = Buffer.from(releaseZip);
    // The first local header's signature: the zip still ends with its end record.
    damaged.writeUInt32LE(0, 0);
    const run = await verifyWithDist(damaged);
    expect(failures(run.report)).toEqual({ content: 'ARCHIVE_ZIP_INVALID' });
  });
});

describe('phpublish verify, when the dist would unpack to more than the limit', () => {
  it('refuses a zip whose entries declare more than 2 GiB with ARCHIVE_UNPACKED_TOO_LARGE, without inflating them', async () => {
    const bomb = craftZip([
      { name: 'pkg/composer.json', content: Buffer.from('{}') },
      { name: 'pkg/huge.bin', method: 8, data: deflateRawSync(Buffer.alloc(4096)), size: 3 * 2 ** 30, crc: 0 },
    ]);
    const started = Date.now();
    const run = await verifyWithDist(bomb);
    expect(failures(run.report)).toEqual({ content: 'ARCHIVE_UNPACKED_TOO_LARGE' });
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

/** `git archive` of the release's tag in another format. */
async function gitArchive(format: 'tar' | 'tar.gz'): Promise<Buffer> {
  const { stdout } = await promisify(execFile)(
    'git',
    ['-c', 'tar.tar.gz.command=gzip -cn', 'archive', `--format=${format}`, release.tag],
    { cwd: fixture.repo.dir, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}
