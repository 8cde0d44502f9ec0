import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { archiveGitEnv, fixtureRepo } from '@phpublish/testing/archive';
import type { PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchive } from './build-archive.js';
import { contentDigestOfRef } from './digest.js';

let temp: TempDir;
let repo: PhpPackageRepo;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-export-subst-');
  repo = await fixtureRepo({
    '.gitattributes': 'version.php export-subst\n',
    // A placeholder git would hand to `git log --format` as raw Latin-1 bytes, not as UTF-8.
    'version.php': Buffer.concat([Buffer.from("<?php return '$Format:%H "), Buffer.from([0xe9]), Buffer.from("$';\n")]),
  });
});
afterAll(async () => {
  await repo.cleanup();
  await temp.cleanup();
});

describe('when an export-subst placeholder is not valid UTF-8', () => {
  it('refuses to build the zip with ARCHIVE_ATTRIBUTE_UNSUPPORTED, naming the file, and leaves no file', async () => {
    const out = join(temp.path, 'never.zip');
    const error = await buildArchive({ cwd: repo.dir, env: archiveGitEnv, ref: 'HEAD', outFile: out }).catch((e) => e);
    expect(error.code).toBe('ARCHIVE_ATTRIBUTE_UNSUPPORTED');
    expect(error.message).toContain('version.php');
    expect(await readdir(temp.path)).toEqual([]);
  });

  it('refuses to compute the digest of the commit the same way', async () => {
    const error = await contentDigestOfRef({ cwd: repo.dir, env: archiveGitEnv, ref: 'HEAD' }).catch((e) => e);
    expect(error.code).toBe('ARCHIVE_ATTRIBUTE_UNSUPPORTED');
  });
});
