import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { watch } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  archiveGitEnv,
  type FixtureFile,
  fixtureRepo,
  gitArchiveListing,
  unzipListing,
} from '@phpublish/testing/archive';
import { git } from '@phpublish/testing/git';
import type { PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ArchiveTuning, buildArchive, buildTunedArchive } from './build-archive.js';
import { contentDigestOfRef, contentDigestOfZip } from './digest.js';
import { planExport } from './export-plan.js';
import { ZipReader } from './zip-reader.js';

const run = promisify(execFile);

let temp: TempDir;
let repo: PhpPackageRepo;
let counter = 0;
const out = () => join(temp.path, `zip-${counter++}.zip`);

/** Compressible text and incompressible bytes, in many directories: enough to exercise batching. */
function packageFiles(): Record<string, string | Buffer | { content: string; executable: true } | { symlink: string }> {
  const files: Record<string, string | Buffer | { content: string; executable: true } | { symlink: string }> = {};
  for (let i = 0; i < 40; i++) {
    files[`src/Module${i % 7}/Class${i}.php`] =
      `<?php\nnamespace Acme;\nfinal class Class${i} {}\n${'// filler\n'.repeat(i * 20)}`;
  }
  files['assets/noise.bin'] = createHash('sha512').update('seed').digest();
  files['bin/console'] = { content: '#!/usr/bin/env php\n<?php\n', executable: true };
  files['link'] = { symlink: 'src/Module0/Class0.php' };
  files['empty.txt'] = '';
  return files;
}

beforeAll(async () => {
  temp = await makeTempDir('phpublish-build-archive-');
  repo = await fixtureRepo(packageFiles(), 'acme/hello');
});
afterAll(async () => {
  await repo.cleanup();
  await temp.cleanup();
});

/** Process ids of git processes still running in `dir`. */
async function gitProcessesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const [comm, cwd] = await Promise.all([
      readFile(`/proc/${pid}/comm`, 'utf8').catch(() => ''),
      readlink(`/proc/${pid}/cwd`).catch(() => ''),
    ]);
    if (comm.trim() === 'git' && cwd === dir) found.push(pid);
  }
  return found;
}

/** Makes `dir`, runs `work` and returns its result with the names of the files made in `dir` meanwhile. */
async function watchingFilesMade<T>(dir: string, work: () => Promise<T>): Promise<{ result: T; made: string[] }> {
  await mkdir(dir);
  const made = new Set<string>();
  const watcher = watch(dir, (_event, name) => {
    if (name) made.add(name);
  });
  try {
    const result = await work();
    // inotify's events arrive after the work that made them.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { result, made: [...made] };
  } finally {
    watcher.close();
  }
}

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

describe('when the same commit is archived twice', () => {
  const saved = { tz: process.env['TZ'], umask: process.umask() };
  afterEach(() => {
    if (saved.tz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = saved.tz;
    process.umask(saved.umask);
  });

  it('gives the same bytes in another timezone, umask, locale, clone, with workers or without', async () => {
    const first = await buildArchive({
      cwd: repo.dir,
      env: archiveGitEnv,
      ref: 'HEAD',
      outFile: out(),
      concurrency: 2,
    });

    process.env['TZ'] = 'Pacific/Chatham';
    process.umask(0o077);
    const clone = await makeTempDir('phpublish-clone-');
    try {
      // Another clone: other pack files, other object layout, same commit.
      await git(temp.path, ['clone', '--quiet', '--no-local', repo.dir, clone.path], { env: archiveGitEnv });
      const env = { ...archiveGitEnv, LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' };
      const second = await buildArchive({ cwd: clone.path, env, ref: first.commit, outFile: out(), concurrency: 1 });
      const third = await buildArchive({ cwd: clone.path, env, ref: first.commit, outFile: out(), concurrency: 5 });
      // No workers: this thread compresses (what a small tree gets by default).
      const fourth = await buildArchive({ cwd: clone.path, env, ref: first.commit, outFile: out(), concurrency: 0 });
      expect(second.sha256).toBe(first.sha256);
      expect(third.sha256).toBe(first.sha256);
      expect(fourth.sha256).toBe(first.sha256);
      expect(await sha256(second.file)).toBe(first.sha256);
      expect(second.contentDigest).toBe(first.contentDigest);
    } finally {
      await clone.cleanup();
    }
  });

  it('makes its temporary files beside the zip (the zip being written, the spill file) and leaves only the zip', async () => {
    const dir = join(temp.path, `beside-${counter++}`);
    const { result, made } = await watchingFilesMade(dir, () =>
      buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: 'HEAD', outFile: join(dir, 'x.zip') }),
    );
    const temporary = made.filter((name) => name !== 'x.zip').sort();
    expect(temporary).toHaveLength(2);
    expect(temporary.every((name) => /^\.x\.zip\.[0-9a-f]{12}\.(large\.tmp|tmp)$/.test(name))).toBe(true);
    expect(await readdir(dir)).toEqual(['x.zip']);
    expect(await sha256(result.file)).toBe(result.sha256);
  });

  it('gives the bytes recorded here, on any machine with the same zlib', async () => {
    // The test repository's commit is fixed (identity and dates), so its zip is too. When this
    // changes, every phpublish zip changes: a new zlib in Node.js, or a change of format.
    const result = await buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: 'HEAD', outFile: out() });
    expect({ commit: result.commit, sha256: result.sha256, zlib: result.zlib }).toMatchInlineSnapshot(`
      {
        "commit": "00bcb27f079fd82e0d1a9328cbd1935e902a1901",
        "sha256": "4bf0ec3208354c858eac526c17c281914542ee074af36c760aea9059253a6941",
        "zlib": "1.3.2.1-motley-8002e91",
      }
    `);
  });
});

describe('when reading the zip back', () => {
  it('finds sorted entries under one folder, the commit’s time in UTC, normalised modes and no data descriptors', async () => {
    const result = await buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: 'HEAD', outFile: out() });
    const file = await open(result.file, 'r');
    try {
      const zip = await ZipReader.open(file, result.file);
      const names = zip.entries.map((e) => e.name);
      expect(names[0]).toBe(result.folder);
      expect(result.folder).toMatch(/^acme-hello-[0-9a-f]{7}\/$/);
      expect(names.every((n) => n.startsWith(result.folder))).toBe(true);
      expect(names.slice(1)).toEqual(
        [...names.slice(1)].sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'))),
      );
      const byName = Object.fromEntries(zip.entries.map((e) => [e.name.slice(result.folder.length), e]));
      expect(byName['bin/console']?.kind).toBe('executable');
      expect(byName['link']).toMatchObject({ kind: 'symlink', method: 0 });
      expect(byName['src/Module0/Class0.php']).toMatchObject({ kind: 'file', method: 8 });
      expect(byName['empty.txt']).toMatchObject({ kind: 'file', method: 0, size: 0 });
      expect(byName['assets/noise.bin']?.method).toBe(0);
      expect(zip.entries.every((e) => (e.flags & 0x08) === 0)).toBe(true);
    } finally {
      await file.close();
    }
    // Raw fields: every entry carries the commit's time (2026-01-01 00:02:00 UTC, the fixture's
    // second commit) as DOS date and time, whatever the local timezone.
    expect((await repo.git(['log', '-1', '--format=%cI', result.commit])).trim()).toBe('2026-01-01T00:02:00+00:00');
    const bytes = await readFile(result.file);
    const commitTime = { date: ((2026 - 1980) << 9) | (1 << 5) | 1, time: (0 << 11) | (2 << 5) | 0 };
    for (let at = bytes.indexOf('PK\x01\x02'); at !== -1; at = bytes.indexOf('PK\x01\x02', at + 4)) {
      expect({ time: bytes.readUInt16LE(at + 12), date: bytes.readUInt16LE(at + 14) }).toEqual(commitTime);
      expect(bytes.readUInt16LE(at + 4) >> 8).toBe(3);
    }
    expect(bytes.subarray(bytes.length - 40).toString('latin1')).toBe(result.commit);
    // Info-ZIP agrees that it is a valid zip.
    await expect(run('unzip', ['-tq', result.file])).resolves.toMatchObject({
      stdout: expect.stringContaining('No errors'),
    });
  });

  it('writes large files through spill files, deflated or stored, and zip64 fields when they are needed, which unzip and PHP read', async () => {
    const large = await fixtureRepo({
      'data/large.txt': 'a line of a large, compressible file\n'.repeat(120_000),
      'data/random.bin': Buffer.concat(
        Array.from({ length: 1500 }, (_, i) => createHash('sha512').update(String(i)).digest()),
      ),
    });
    try {
      // Zip64 from 1 KiB on and large files from 4 KiB on, so that small files take both paths.
      const tuning = { largeFrom: 4096, limits: { zip64: 1024 } };
      const result = await buildTunedArchive(
        { cwd: large.dir, env: archiveGitEnv, ref: 'HEAD', outFile: out() },
        tuning,
      );
      expect((await readFile(result.file)).includes(Buffer.from('PK\x06\x06'))).toBe(true);
      // The spill files the large files went through are gone.
      expect((await readdir(temp.path)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      await expect(run('unzip', ['-tq', result.file])).resolves.toMatchObject({
        stdout: expect.stringContaining('No errors'),
      });
      expect(await unzipListing(result.file, result.folder)).toEqual(await gitArchiveListing(large.dir, 'HEAD'));
      expect((await contentDigestOfZip(result.file)).contentDigest).toBe(result.contentDigest);
      const php = await run('php', [
        '-r',
        '$z = new ZipArchive(); if ($z->open($argv[1], ZipArchive::CHECKCONS) !== true) exit(1); echo $z->numFiles, " ", strlen($z->getFromName($argv[2]));',
        result.file,
        `${result.folder}data/large.txt`,
      ]);
      expect(php.stdout).toBe(`${result.directories + result.files + result.symlinks + 1} ${37 * 120_000}`);
      // Large files that shrink are deflated; random bytes are stored as they are.
      const handle = await open(result.file, 'r');
      try {
        const methods = Object.fromEntries(
          (await ZipReader.open(handle, result.file)).entries.map((e) => [
            e.name.slice(result.folder.length),
            e.method,
          ]),
        );
        expect(methods).toMatchObject({ 'data/large.txt': 8, 'data/random.bin': 0 });
      } finally {
        await handle.close();
      }
      // Without tuning the large file is large too (1 MiB or more), and the
      // digest is the same whichever way the zip was written.
      const plain = await buildArchive({ cwd: large.dir, env: archiveGitEnv, ref: 'HEAD', outFile: out() });
      expect(plain.contentDigest).toBe(result.contentDigest);
      expect((await contentDigestOfRef({ cwd: large.dir, env: archiveGitEnv, ref: 'HEAD' })).contentDigest).toBe(
        result.contentDigest,
      );
    } finally {
      await large.cleanup();
    }
  });
});

describe('when a package has many files', () => {
  it('writes a central directory of several pieces that unzip and the strict reader accept', async () => {
    // 800 entries of about 100 bytes each in the central directory: more than one 64 KiB piece.
    const files: Record<string, string> = {};
    for (let i = 0; i < 800; i++)
      files[`src/Generated/Module${i % 9}/SomeGeneratedClassName${i}.php`] = `<?php // ${i}\n`;
    const many = await fixtureRepo(files, 'acme/many');
    try {
      const result = await buildArchive({ cwd: many.dir, env: archiveGitEnv, ref: 'HEAD', outFile: out() });
      expect(result.files).toBeGreaterThanOrEqual(800);
      await expect(run('unzip', ['-tq', result.file])).resolves.toMatchObject({
        stdout: expect.stringContaining('No errors'),
      });
      expect(await unzipListing(result.file, result.folder)).toEqual(await gitArchiveListing(many.dir, 'HEAD'));
      expect((await contentDigestOfZip(result.file)).contentDigest).toBe(result.contentDigest);
    } finally {
      await many.cleanup();
    }
  });
});

describe('when the zip cannot be built', () => {
  it('says the ref does not exist', async () => {
    const error = await buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: 'v9.9.9', outFile: out() }).catch(
      (e) => e,
    );
    expect(error.code).toBe('ARCHIVE_REF_NOT_FOUND');
    const option = await buildArchive({
      cwd: repo.dir,
      env: archiveGitEnv,
      ref: '--output=/tmp/x',
      outFile: out(),
    }).catch((e) => e);
    expect(option.code).toBe('ARCHIVE_REF_NOT_FOUND');
  });

  it('says it cannot write, and leaves no temporary file behind', async () => {
    const missing = join(temp.path, 'no-such-dir', 'x.zip');
    const error = await buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: 'HEAD', outFile: missing }).catch(
      (e) => e,
    );
    expect(error.code).toBe('ARCHIVE_OUTPUT_FAILED');
    expect((await readdir(temp.path)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  /**
   * Damages the loose object of `path` in a fresh repository, builds its zip and returns the error
   * with the object's id, after checking that no temporary file and no git process is left.
   */
  async function buildDamaged(
    path: string,
    damage: (object: string) => Promise<void>,
    tuning: ArchiveTuning = {},
    concurrency = 0,
  ) {
    const damaged = await fixtureRepo(packageFiles(), 'acme/hello');
    const dir = join(temp.path, `damaged-${counter++}`);
    await mkdir(dir);
    try {
      const oid = (await damaged.git(['rev-parse', `HEAD:${path}`])).trim();
      await damage(join(damaged.dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2)));
      const error = await buildTunedArchive(
        { cwd: damaged.dir, env: archiveGitEnv, ref: 'HEAD', outFile: join(dir, 'x.zip'), concurrency },
        tuning,
      ).catch((e) => e);
      // Neither the zip, nor its temporary file, nor a spill file.
      expect(await readdir(dir)).toEqual([]);
      expect(await gitProcessesIn(damaged.dir)).toEqual([]);
      return { error, oid };
    } finally {
      await damaged.cleanup();
    }
  }

  it('names the missing object of a damaged repository, and leaves no temporary file or git process behind', async () => {
    for (const concurrency of [0, 2]) {
      const { error, oid } = await buildDamaged('src/Module3/Class10.php', (object) => rm(object), {}, concurrency);
      expect(error.code).toBe('ARCHIVE_GIT_FAILED');
      expect(error.message).toContain(oid);
    }
  });

  /** A loose object cut short: its header (and size) still reads, its content does not. */
  const cutShort = async (object: string) => {
    const bytes = await readFile(object);
    await chmod(object, 0o644);
    await writeFile(object, bytes.subarray(0, Math.floor(bytes.length / 2)));
  };

  it('says git failed when an object cannot be read while the zip is written, and leaves nothing behind', async () => {
    // Read on this thread, or by a worker thread's git.
    for (const concurrency of [0, 2]) {
      const { error, oid } = await buildDamaged('src/Module4/Class39.php', cutShort, {}, concurrency);
      expect(error.code).toBe('ARCHIVE_GIT_FAILED');
      expect(error.message).toContain('cat-file');
      expect(error.message).toContain(oid);
    }
  });

  it('says the same of a large file (streamed through the spill file), and leaves no spill file behind', async () => {
    // From 4 KiB on a file is large: this one (7.8 KB) goes through the spill file.
    const { error, oid } = await buildDamaged('src/Module4/Class39.php', cutShort, { largeFrom: 4096 });
    expect(error.code).toBe('ARCHIVE_GIT_FAILED');
    expect(error.message).toContain('cat-file');
    expect(error.message).toContain(oid);
  });

  it('refuses what it finds late in a large tree, and leaves nothing behind', async () => {
    // Many entries, then two names that fold alike; or a link that escapes near the start, which
    // is refused once every entry is selected.
    const many: Record<string, FixtureFile> = {};
    for (let i = 0; i < 1500; i++) many[`src/F${String(i).padStart(4, '0')}.php`] = `<?php // ${i}\n`;
    const late = await fixtureRepo({ ...many, 'zz/Readme.md': 'a', 'zz/README.md': 'b' }, 'acme/late');
    const escaping = await fixtureRepo({ 'a/link': { symlink: '../../etc/passwd' }, ...many }, 'acme/escaping');
    try {
      for (const [refused, code] of [
        [late, 'ARCHIVE_DUPLICATE_PATH'],
        [escaping, 'ARCHIVE_SYMLINK_ESCAPES'],
      ] as const) {
        const dir = join(temp.path, `late-${counter++}`);
        await mkdir(dir);
        const error = await buildArchive({
          cwd: refused.dir,
          env: archiveGitEnv,
          ref: 'HEAD',
          outFile: join(dir, 'x.zip'),
        }).catch((e) => e);
        expect(error.code).toBe(code);
        expect(await readdir(dir)).toEqual([]);
        expect(await gitProcessesIn(refused.dir)).toEqual([]);
        // The plan alone refuses the same.
        await expect(planExport({ cwd: refused.dir, env: archiveGitEnv, ref: 'HEAD' })).rejects.toMatchObject({ code });
      }
    } finally {
      await late.cleanup();
      await escaping.cleanup();
    }
  });

  it('says the same when the digest of a commit meets such an object, and leaves no git process behind', async () => {
    const damaged = await fixtureRepo(packageFiles(), 'acme/hello');
    try {
      const oid = (await damaged.git(['rev-parse', 'HEAD:src/Module4/Class39.php'])).trim();
      await cutShort(join(damaged.dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2)));
      const error = await contentDigestOfRef({ cwd: damaged.dir, env: archiveGitEnv, ref: 'HEAD' }).catch((e) => e);
      expect(error.code).toBe('ARCHIVE_GIT_FAILED');
      expect(error.message).toContain('cat-file');
      expect(error.message).toContain(oid);
      expect(await gitProcessesIn(damaged.dir)).toEqual([]);
    } finally {
      await damaged.cleanup();
    }
  });

  it('says when the directory is not a git repository', async () => {
    const error = await buildArchive({ cwd: temp.path, env: archiveGitEnv, ref: 'HEAD', outFile: out() }).catch(
      (e) => e,
    );
    expect(error.code).toBe('ARCHIVE_REF_NOT_FOUND');
  });
});
