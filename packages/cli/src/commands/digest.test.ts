import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type PhpPackageRepo, type TempDir } from '@phpublish/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveGitEnv, fixtureRepo, gitHubStyleZipball } from '../../../core/src/archive/testing/repos.js';
import { craftZip } from '../../../core/src/archive/testing/zip-craft.js';
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
