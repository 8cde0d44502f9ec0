import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type PhpPackageRepo, type TempDir } from '@phpublish/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveGitEnv, fixtureRepo } from '../../../core/src/archive/testing/repos.js';
import { EXIT } from '../exit-codes.js';
import { runCli } from './testing/run-cli.js';

let repo: PhpPackageRepo;
let temp: TempDir;
beforeAll(async () => {
  repo = await fixtureRepo({ '.gitattributes': '/tests export-ignore\n', 'tests/T.php': '<?php' }, 'acme/hello');
  await repo.tag('v1.0.0', { annotated: true });
  temp = await makeTempDir('phpublish-cli-archive-');
});
afterAll(async () => {
  await repo.cleanup();
  await temp.cleanup();
});

const phpublish = (argv: string[]) => runCli(argv, { cwd: repo.dir, env: archiveGitEnv });

describe('phpublish archive', () => {
  it('builds the zip of a tag and prints its sha256 and content digest', async () => {
    const zip = join(temp.path, 'hello.zip');
    const { code, stdout } = await phpublish(['archive', 'v1.0.0', '--out', zip]);
    expect(code).toBe(EXIT.ok);
    const sha256 = (await import('node:crypto'))
      .createHash('sha256')
      .update(await readFile(zip))
      .digest('hex');
    expect(stdout).toMatch(new RegExp(`^sha256 +${sha256}$`, 'm'));
    expect(stdout).toMatch(/^content +phpublish-tree-v1:sha256:[0-9a-f]{64}$/m);
    expect(stdout).toMatch(/^entries +3 files, 0 symlinks, 1 directories$/m);
  });

  it('prints JSON with --json, equal to what `phpublish digest` says of the zip and of the tag', async () => {
    const zip = join(temp.path, 'hello-json.zip');
    const archived = await phpublish(['archive', 'v1.0.0', '--out', zip, '--json']);
    const result = JSON.parse(archived.stdout);
    expect(result).toMatchObject({ file: zip, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), files: 3 });
    const ofZip = await phpublish(['digest', zip]);
    const ofTag = await phpublish(['digest', 'v1.0.0']);
    expect(ofZip).toEqual({ code: EXIT.ok, stdout: `${result.contentDigest}\n`, stderr: '' });
    expect(ofTag.stdout).toBe(`${result.contentDigest}\n`);
  });

  it('reports a missing ref with its code and exits 1', async () => {
    const { code, stderr } = await phpublish(['archive', 'v9.9.9', '--out', join(temp.path, 'x.zip')]);
    expect(code).toBe(EXIT.failed);
    expect(stderr).toContain('ARCHIVE_REF_NOT_FOUND');
  });

  it.each([[['archive']], [['archive', 'v1.0.0']], [['archive', 'a', 'b', '--out', 'x.zip']]])(
    'exits 2 for %j',
    async (argv) => {
      const { code, stderr } = await phpublish(argv);
      expect(code).toBe(EXIT.usage);
      expect(stderr).toContain('Usage: phpublish archive <ref> --out <file.zip>');
    },
  );
});
