import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { archiveGitEnv, fixtureRepo } from '@phpublish/testing/archive';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchive } from './build-archive.js';

/** composer.json is read from the commit: its name for the zip's folder, archive.exclude when asked for. */

let temp: TempDir;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-export-plan-');
});
afterAll(async () => {
  await temp.cleanup();
});

/** Builds the zip of HEAD of a repository holding `composerJson`; the error code or the zip's folder. */
async function build(composerJson: string, composerExclude: boolean, name: string) {
  const repo = await fixtureRepo({ 'composer.json': composerJson });
  const outDir = join(temp.path, name);
  await mkdir(outDir);
  try {
    const outcome = await buildArchive({
      cwd: repo.dir,
      env: archiveGitEnv,
      ref: 'HEAD',
      outFile: join(outDir, 'x.zip'),
      composerExclude,
    }).then(
      (result) => ({ folder: result.folder }),
      (error: { code: string; message: string }) => ({ code: error.code, message: error.message }),
    );
    return { outcome, leftovers: await readdir(outDir) };
  } finally {
    await repo.cleanup();
  }
}

describe('when composer.json is not valid JSON', () => {
  it('refuses to apply archive.exclude with COMPOSER_JSON_INVALID, and writes nothing', async () => {
    const { outcome, leftovers } = await build('{"name": "acme/broken",', true, 'strict');
    expect(outcome).toMatchObject({ code: 'COMPOSER_JSON_INVALID' });
    expect(leftovers).toEqual([]);
  });

  it('builds the zip as git archive would when archive.exclude is not asked for, in a folder named by the commit', async () => {
    const { outcome, leftovers } = await build('{"name": "acme/broken",', false, 'lenient');
    expect(outcome).toMatchObject({ folder: expect.stringMatching(/^[0-9a-f]{7}\/$/) });
    expect(leftovers).toEqual(['x.zip']);
  });
});

describe('when composer.json is larger than any real one', () => {
  it('refuses to apply archive.exclude with COMPOSER_JSON_INVALID, saying so', async () => {
    const huge = JSON.stringify({ name: 'acme/huge', description: 'x'.repeat(16 * 1024 * 1024) });
    const { outcome, leftovers } = await build(huge, true, 'huge');
    expect(outcome).toMatchObject({ code: 'COMPOSER_JSON_INVALID', message: expect.stringContaining('larger than') });
    expect(leftovers).toEqual([]);
  });
});
