import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { archiveGitEnv, commitTree, fixtureRepo, writeBlob, writeRawTree } from '@phpublish/testing/archive';
import type { PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  describe('when the commit holds a path some system would read as .git or cannot create', () => {
    it.each([['.git '], ['.git.'], ['GIT~1'], ['.g\u200cit'], ['aux.php'], ['a:b.php']])(
      'refuses %j with ARCHIVE_PATH_UNSAFE and writes no zip',
      async (name) => {
        const payload = await writeBlob(repo.dir, '[core]\n\tfsmonitor = "touch /tmp/pwned"\n');
        const hooks = await writeRawTree(repo.dir, [{ mode: '100644', name: 'config', oid: payload }]);
        const composer = (await repo.git(['rev-parse', 'v1.0.0:composer.json'])).trim();
        const entries = [
          { mode: '100644', name: 'composer.json', oid: composer },
          { mode: '40000', name, oid: hooks },
        ].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
        const commit = await commitTree(repo.dir, await writeRawTree(repo.dir, entries));
        const dir = join(temp.path, `crafted-${randomBytes(4).toString('hex')}`);
        await mkdir(dir);
        const { code, stderr } = await phpublish(['archive', commit, '--out', join(dir, 'x.zip')]);
        expect(code).toBe(EXIT.failed);
        expect(stderr).toContain('ARCHIVE_PATH_UNSAFE');
        expect(await readdir(dir)).toEqual([]);
      },
    );
  });

  describe('when --out names something that is not a regular file', () => {
    /** Runs `archive --out <target>` in a directory of its own; what is left there besides the target. */
    async function refusedOutput(make: (target: string) => Promise<void>) {
      const dir = join(temp.path, `out-${randomBytes(4).toString('hex')}`);
      await mkdir(dir);
      const target = join(dir, 'target');
      await make(target);
      const run = await phpublish(['archive', 'v1.0.0', '--out', target]);
      return { run, target, others: (await readdir(dir)).filter((name) => name !== 'target') };
    }

    it.each([
      ['a named pipe', (target: string) => promisify(execFile)('mkfifo', [target]).then(() => {}), 'isFIFO'],
      ['a directory', (target: string) => mkdir(target), 'isDirectory'],
      [
        'a symbolic link',
        (target: string) => writeFile(`${target}.real`, 'kept').then(() => symlink(`${target}.real`, target)),
        'isSymbolicLink',
      ],
    ] as const)('refuses %s with ARCHIVE_OUTPUT_FAILED and leaves it as it was', async (_what, make, kind) => {
      const { run, target, others } = await refusedOutput(make);
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('ARCHIVE_OUTPUT_FAILED');
      expect(run.stderr).toContain('only a regular file or a new path is replaced');
      expect((await lstat(target))[kind]()).toBe(true);
      // Nothing written beside it either (a symlink's own target is the only other file).
      expect(others.filter((name) => !name.endsWith('.real'))).toEqual([]);
    });

    it('refuses a character device (as root, a twin of /dev/full made with mknod)', async (context) => {
      if (process.getuid?.() !== 0) context.skip();
      const { run, target, others } = await refusedOutput((path) =>
        promisify(execFile)('mknod', [path, 'c', '1', '7']).then(() => {}),
      );
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('ARCHIVE_OUTPUT_FAILED');
      expect((await lstat(target)).isCharacterDevice()).toBe(true);
      expect(others).toEqual([]);
    });

    it('replaces a regular file', async () => {
      const target = join(temp.path, 'replaced.zip');
      await writeFile(target, 'old');
      const run = await phpublish(['archive', 'v1.0.0', '--out', target]);
      expect(run.code).toBe(EXIT.ok);
      expect((await readFile(target)).subarray(0, 2).toString('latin1')).toBe('PK');
    });
  });

  describe('when writing the zip fails midway (a full disk)', () => {
    it('says so with ARCHIVE_OUTPUT_FAILED, keeps the file it would have replaced, and leaves nothing behind', async () => {
      // A real write error: this process may write files of at most 64 KiB for a moment
      // (EFBIG, as ENOSPC would come from a full disk); the zip of this commit is larger.
      const big = await fixtureRepo({ 'data.bin': randomBytes(300 * 1024), 'src/A.php': '<?php' }, 'acme/big');
      const dir = join(temp.path, 'full');
      await mkdir(dir);
      const target = join(dir, 'big.zip');
      await writeFile(target, 'previous release');
      const prlimit = (limit: string) =>
        promisify(execFile)('prlimit', ['--pid', String(process.pid), `--fsize=${limit}`]);
      let run: Awaited<ReturnType<typeof runCli>>;
      try {
        await prlimit('65536:');
        run = await runCli(['archive', 'HEAD', '--out', target], { cwd: big.dir, env: archiveGitEnv });
      } finally {
        await prlimit('unlimited:');
        await big.cleanup();
      }
      expect(run.code).toBe(EXIT.failed);
      expect(run.stderr).toContain('ARCHIVE_OUTPUT_FAILED');
      expect(run.stderr).toMatch(/EFBIG/);
      expect(await readFile(target, 'utf8')).toBe('previous release');
      expect(await readdir(dir)).toEqual(['big.zip']);
    });
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
