import { access, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type PhpPackageRepo, type TempDir } from '@phpublish/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchive } from './build-archive.js';
import { startExport } from './export-plan.js';
import { countListing, listTree, type TreeEntry } from './git-objects.js';
import { archiveGitEnv, type FixtureFile, fixtureRepo } from './testing/repos.js';

/**
 * A tree's listing read through a window over its file: the same entries as the listing read
 * whole, with windows smaller than one of its lines, and only the lines consumers keep held.
 */

let temp: TempDir;
let repo: PhpPackageRepo;
let commit: string;
const git = { cwd: '', env: archiveGitEnv };
let counter = 0;

/** Files with names of many lengths, one longer than the windows below, and two names far apart that fold alike. */
function files(): Record<string, FixtureFile> {
  const all: Record<string, FixtureFile> = {};
  for (let i = 0; i < 300; i++) all[`b/${'n'.repeat(i % 40)}${i}.php`] = `<?php // ${i}\n`;
  all[`b/${'deeper/'.repeat(40)}x.php`] = '<?php // a long path\n';
  all['b/caf\u00e9.php'] = '<?php // not ASCII\n';
  return all;
}

beforeAll(async () => {
  temp = await makeTempDir('phpublish-tree-listing-');
  repo = await fixtureRepo(files(), 'acme/listing');
  commit = (await repo.git(['rev-parse', 'HEAD'])).trim();
  git.cwd = repo.dir;
});
afterAll(async () => {
  await repo?.cleanup();
  await temp.cleanup();
});

const fields = (e: TreeEntry) => [e.path, e.mode, e.type, e.size, e.line, e.pathStart];

describe('when a listing is read through a window over its file', () => {
  it.each([64, 1000, 1 << 20])(
    'gives the entries of the listing read whole, with a window of %i bytes at first, and leaves no file behind',
    async (window) => {
      const whole = await listTree(commit, git);
      const file = join(temp.path, `listing-${counter++}`);
      const windowed = await listTree(commit, git, file, { window });
      try {
        // The file is gone at once; its bytes are read through the open descriptor.
        await expect(access(file)).rejects.toThrow();
        expect(windowed.listing.isWhole).toBe(false);
        expect(windowed.listing.length).toBe(whole.listing.length);
        const entries = [...windowed];
        // Iterated, each entry is an object of its own (the cursor is what fills one again).
        expect(new Set(entries).size).toBe(entries.length);
        expect(entries.map(fields)).toEqual([...whole].map(fields));
        expect(entries.length).toBeGreaterThan(300);
        const cursor = windowed.cursor();
        const read: unknown[][] = [];
        for (let entry = cursor.next(); entry !== undefined; entry = cursor.next()) read.push(fields(entry));
        expect(read).toEqual(entries.map(fields));
        // Object ids are read when asked for: after the pass, from lines the window has left.
        expect(entries.map((e) => e.oid)).toEqual([...whole].map((e) => e.oid));
        expect(countListing(windowed.listing)).toEqual(countListing(whole.listing));
      } finally {
        windowed.listing.close();
      }
      // Closed twice: nothing happens.
      windowed.listing.close();
    },
  );

  it('keeps what a consumer keeps as it moves on, and nothing before it', async () => {
    const whole = (await listTree(commit, git)).listing;
    const windowed = (await listTree(commit, git, join(temp.path, `listing-${counter++}`), { window: 64 })).listing;
    try {
      const kept = Math.floor(whole.length / 3);
      windowed.keepFrom(kept);
      for (let at = 0; at < windowed.length; ) at = windowed.lineEnd(at) + 1;
      // Read to the end, the window still starts at or before what is kept, and holds it.
      expect(windowed.base).toBeLessThanOrEqual(kept);
      expect(windowed.base).toBeGreaterThan(0);
      expect(windowed.bytes.subarray(kept - windowed.base, windowed.end - windowed.base)).toEqual(
        whole.bytes.subarray(kept, whole.length),
      );
    } finally {
      windowed.close();
    }
    // Closed, it can no longer read what its window has left: a coded error.
    expect(windowed.base).toBeGreaterThan(0);
    expect(() => windowed.text('latin1', 0, 10)).toThrow(expect.objectContaining({ code: 'ARCHIVE_GIT_FAILED' }));
  });

  it('holds no more than its longest line when nothing is kept', async () => {
    const windowed = (await listTree(commit, git, join(temp.path, `listing-${counter++}`), { window: 64 })).listing;
    try {
      let longest = 0;
      for (let at = 0; at < windowed.length; ) {
        const end = windowed.lineEnd(at);
        longest = Math.max(longest, end + 1 - at);
        at = end + 1;
      }
      expect(longest).toBeGreaterThan(256);
      // Doubled from 64 bytes until the longest line fitted, and no further.
      expect(windowed.bytes.length).toBeLessThan(2 * longest);
      expect(windowed.base).toBeGreaterThan(windowed.length / 2);
    } finally {
      windowed.close();
    }
  });
});

describe('when a plan is selected over a windowed listing', () => {
  it('reads released lines back where a check needs them, and names both paths of a collision', async () => {
    const many: Record<string, FixtureFile> = {};
    for (let i = 0; i < 600; i++) many[`b/F${String(i).padStart(4, '0')}.php`] = `<?php // ${i}\n`;
    // "Hello.php" sorts before b/, "hello.php" after it: the first is long released when the second comes.
    const far = await fixtureRepo({ ...many, 'Hello.php': 'a', 'hello.php': 'b' }, 'acme/far');
    try {
      const selection = await startExport({
        cwd: far.dir,
        env: archiveGitEnv,
        ref: 'HEAD',
        listingFile: join(temp.path, `listing-${counter++}`),
        listingWindow: 64,
      });
      try {
        let error: unknown;
        try {
          for (let selected = 0; ; ) {
            const now = selection.selectMore(16);
            if (now === selected) break;
            // What is selected is read (as the zip's writer reads it), then released.
            for (let i = selected; i < now; i++) expect(selection.entries.pathAt(i)).not.toBe('');
            selection.entries.release(now);
            selected = now;
          }
        } catch (caught) {
          error = caught;
        }
        expect(error).toMatchObject({ code: 'ARCHIVE_DUPLICATE_PATH' });
        // The other path's bytes were read back from the file: the window had left them.
        expect((error as Error).message).toContain('"hello.php"');
        expect((error as Error).message).toContain('"Hello.php"');
        expect(selection.entries.listing.base).toBeGreaterThan(0);
      } finally {
        selection.close();
      }
    } finally {
      await far.cleanup();
    }
  });

  it('builds the same zip through a window smaller than a line as through the default one', async () => {
    const build = async (listingWindow?: number) => {
      const dir = join(temp.path, `zip-${counter++}`);
      await mkdir(dir);
      const tuning = listingWindow === undefined ? {} : { tuning: { listingWindow } };
      const result = await buildArchive({ ...git, ref: 'HEAD', outFile: join(dir, 'x.zip'), ...tuning });
      expect(await readdir(dir)).toEqual(['x.zip']);
      return result;
    };
    const usual = await build();
    const small = await build(64);
    expect(small.sha256).toBe(usual.sha256);
    expect(small.contentDigest).toBe(usual.contentDigest);
    expect(small.files).toBe(usual.files);
    expect(usual.files).toBeGreaterThan(300);
  });
});
