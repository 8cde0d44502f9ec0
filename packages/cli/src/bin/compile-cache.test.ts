// The programs keep Node.js's compiled code in the user's cache folder (compile-cache.ts), so that
// later runs start faster; never in the shared temporary directory, and not when the user turns
// Node.js's compile cache off. Runs the built programs (`turbo run build`) on this Node.js.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const built = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const PROGRAMS = {
  phpublish: { file: built('cli/dist/bin/phpublish.js'), args: ['--version'] },
  'phpublish-changesets': { file: built('changesets/dist/bin/phpublish-changesets.js'), args: ['--help'] },
  'phpublish-gpg': { file: built('core/dist/bin/phpublish-gpg.js'), args: ['--version'] },
};

function run(file: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Files below `dir`, recursively. */
const filesBelow = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
    : [];

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('phpublish-compile-cache-');
  await mkdir(join(dir.path, 'tmp'));
});
afterEach(async () => {
  await dir.cleanup();
});

describe.each(Object.entries(PROGRAMS))('when %s starts', (_name, program) => {
  it('keeps the compiled code in the user’s cache folder, and starts from it the next time', async () => {
    const env = {
      XDG_CACHE_HOME: join(dir.path, 'cache'),
      HOME: join(dir.path, 'home'),
      TMPDIR: join(dir.path, 'tmp'),
    };
    const first = await run(program.file, program.args, env);
    const cacheDir = join(dir.path, 'cache', 'phpublish', 'node-compile-cache');
    expect(filesBelow(cacheDir).length).toBeGreaterThan(0);
    const second = await run(program.file, program.args, env);
    expect(second).toEqual(first);
    expect(filesBelow(join(dir.path, 'tmp'))).toEqual([]);
  });

  it('keeps nothing when Node.js’s compile cache is turned off, or no cache folder is known', async () => {
    const tmp = join(dir.path, 'tmp');
    const off = await run(program.file, program.args, {
      XDG_CACHE_HOME: join(dir.path, 'cache'),
      TMPDIR: tmp,
      NODE_DISABLE_COMPILE_CACHE: '1',
    });
    expect(off.out).not.toMatch(/^\s+at /m);
    expect(existsSync(join(dir.path, 'cache', 'phpublish', 'node-compile-cache'))).toBe(false);
    // Neither HOME nor XDG_CACHE_HOME: not Node.js's default in the shared temporary directory either.
    const homeless = await run(program.file, program.args, { TMPDIR: tmp });
    expect(homeless).toEqual(off);
    expect(filesBelow(tmp)).toEqual([]);
  });
});
