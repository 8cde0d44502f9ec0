import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { archiveGitEnv, craftZip, fixtureRepo, gitHubStyleZipball } from '@phpublish/testing/archive';
import type { PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import { runCli } from './testing/run-cli.js';

let repo: PhpPackageRepo;
let temp: TempDir;
beforeAll(async () => {
  repo = await fixtureRepo({ 'bin/run': { content: '#!/bin/sh\n', executable: true } }, 'acme/hello');
  temp = await makeTempDir('phpublish-cli-digest-');
});
afterAll(async () => {
  await repo.cleanup();
  await temp.cleanup();
});

const phpublish = (argv: string[]) => runCli(argv, { cwd: repo.dir, env: archiveGitEnv });

describe('phpublish digest', () => {
  it('gives a GitHub-style zipball the digest of its commit, and says which folder it looked inside', async () => {
    const zipball = join(temp.path, 'zipball.zip');
    await gitHubStyleZipball(repo.dir, 'HEAD', zipball);
    const ofRef = await phpublish(['digest', 'HEAD', '--json']);
    const ofZip = await phpublish(['digest', zipball, '--json']);
    expect(ofRef.code).toBe(EXIT.ok);
    expect(JSON.parse(ofRef.stdout)).toMatchObject({ source: 'git', commit: repo.head, files: 3, symlinks: 0 });
    expect(JSON.parse(ofZip.stdout)).toMatchObject({
      source: 'zip',
      contentDigest: JSON.parse(ofRef.stdout).contentDigest,
      folder: `acme-fixture-${repo.head.slice(0, 7)}/`,
    });
  });

  it('refuses a hostile zip with its code and exits 1', async () => {
    const evil = join(temp.path, 'evil.zip');
    await writeFile(evil, craftZip([{ name: '../../evil.php', content: Buffer.from('<?php') }]));
    const { code, stderr, stdout } = await phpublish(['digest', evil]);
    expect({ code, stdout }).toEqual({ code: EXIT.failed, stdout: '' });
    expect(stderr).toContain('ARCHIVE_PATH_UNSAFE');
  });

  describe('when the zip names its top-level folder so that it escapes or confuses the install directory', () => {
    /** A zip of `entries` (name → content) under `folder`, whatever bytes the folder's name has. */
    async function zipUnder(folder: string | Buffer, names = ['composer.json', 'src/Hello.php']): Promise<string> {
      const prefix = Buffer.concat([Buffer.from(folder), Buffer.from('/')]);
      const zip = join(temp.path, `folder-${Math.random().toString(16).slice(2)}.zip`);
      await writeFile(
        zip,
        craftZip([
          { name: prefix },
          ...names.map((name) => ({ name: Buffer.concat([prefix, Buffer.from(name)]), content: Buffer.from(name) })),
        ]),
      );
      return zip;
    }

    it.each([
      ['..', 'ARCHIVE_PATH_UNSAFE'],
      ['.git', 'ARCHIVE_PATH_UNSAFE'],
      ['.Git ', 'ARCHIVE_PATH_UNSAFE'],
      ['C:', 'ARCHIVE_PATH_UNSAFE'],
      ['..\\..\\Windows', 'ARCHIVE_PATH_UNSAFE'],
      ['acme\thello', 'ARCHIVE_PATH_UNSAFE'],
      ['acme\0hello', 'ARCHIVE_PATH_UNSAFE'],
      ['aux', 'ARCHIVE_PATH_UNSAFE'],
      [Buffer.from([0x61, 0xc3, 0x28]), 'ARCHIVE_PATH_NOT_UTF8'],
    ])('refuses the folder %j with %s and exits 1', async (folder, code) => {
      const { code: exit, stderr, stdout } = await phpublish(['digest', await zipUnder(folder)]);
      expect({ exit, stdout }).toEqual({ exit: EXIT.failed, stdout: '' });
      expect(stderr).toContain(code);
    });

    it('refuses a zip whose only entry is ../evil.php', async () => {
      const evil = join(temp.path, 'single.zip');
      await writeFile(evil, craftZip([{ name: '../evil.php', content: Buffer.from('<?php') }]));
      const { code, stderr } = await phpublish(['digest', evil]);
      expect(code).toBe(EXIT.failed);
      expect(stderr).toContain('ARCHIVE_PATH_UNSAFE');
      expect(stderr).toContain('".."');
    });

    it.each([['.git./config'], ['src/git~1/hooks/post-checkout'], ['src/.gi\u200ct/config'], ['CON.php'], ['a:b.php']])(
      'refuses an entry %j inside an ordinary folder',
      async (name) => {
        const { code, stderr } = await phpublish([
          'digest',
          await zipUnder('acme-hello-1a2b3c4', ['composer.json', name]),
        ]);
        expect(code).toBe(EXIT.failed);
        expect(stderr).toContain('ARCHIVE_PATH_UNSAFE');
      },
    );
  });

  describe('when what is digested unpacks to more than --max-unpacked-size', () => {
    it('refuses a zip whose entries declare more, and accepts it under a higher limit', async () => {
      const zip = join(temp.path, 'two-mib.zip');
      // 2 MiB of zeros that deflate to a few kilobytes.
      await writeFile(zip, craftZip([{ name: 'pkg/zeros.bin', content: Buffer.alloc(2 * 1024 * 1024), method: 8 }]));
      const small = await phpublish(['digest', zip, '--max-unpacked-size', '1M']);
      expect(small.code).toBe(EXIT.failed);
      expect(small.stderr).toContain('ARCHIVE_UNPACKED_TOO_LARGE');
      expect(small.stderr).toContain('more than the 1048576 bytes allowed');
      expect((await phpublish(['digest', zip, '--max-unpacked-size', '2MiB'])).code).toBe(EXIT.ok);
      expect((await phpublish(['digest', zip])).code).toBe(EXIT.ok);
    });

    it('refuses a ref whose files are larger in all', async () => {
      const run = await phpublish(['digest', 'HEAD', '--max-unpacked-size', '10']);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('ARCHIVE_UNPACKED_TOO_LARGE');
    });

    it.each([['0'], ['-1'], ['lots'], ['12 parsecs'], ['1e3'], ['99999999999999999999']])(
      'exits 2 for --max-unpacked-size %j',
      async (size) => {
        const { code, stderr } = await phpublish(['digest', 'HEAD', `--max-unpacked-size=${size}`]);
        expect(code).toBe(EXIT.usage);
        expect(stderr).toContain('--max-unpacked-size takes a size');
      },
    );
  });

  it('says when the argument is neither a file nor a ref', async () => {
    const { code, stderr } = await phpublish(['digest', 'no-such-thing']);
    expect(code).toBe(EXIT.failed);
    expect(stderr).toContain('DIGEST_INPUT_NOT_FOUND');
  });

  it.each([[['digest']], [['digest', 'a', 'b']]])('exits 2 for %j', async (argv) => {
    const { code, stderr } = await phpublish(argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('Usage: phpublish digest <zip-or-ref>');
  });
});
