// Every phpublish program on a Node.js it does not support: a coded message and exit code 2, never a
// stack trace from a dependency that cannot load there (undici on Node 20). Runs the built programs
// (`turbo run build`) with an old Node.js found on this machine (Debian's is 20).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSupportedNode } from '../../../core/src/node-version/index.js';
import { EXIT } from '../exit-codes.js';

const built = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const PHPUBLISH = built('cli/dist/bin/phpublish.js');
const CHANGESETS = built('changesets/dist/bin/phpublish-changesets.js');
const SEMANTIC_RELEASE_PLUGIN = built('semantic-release/dist/index.js');
const RELEASE_IT_PLUGIN = built('release-it/dist/index.js');

/** The first `node` on this machine that phpublish does not support, with its version. */
function findOldNode(): { path: string; version: string } | undefined {
  const dirs = ['/usr/bin', '/bin', '/usr/local/bin', ...(process.env['PATH'] ?? '').split(delimiter)];
  for (const dir of dirs) {
    const path = join(dir, 'node');
    if (!existsSync(path)) continue;
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
    if (!isSupportedNode(version)) return { path, version };
  }
  return undefined;
}

const oldNode = findOldNode();

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(oldNode!.path, args, { cwd, env: { PATH: process.env['PATH'], HOME: cwd } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What the programs say: the code, this version, the supported ones, and no stack frames. */
function expectUnsupportedNodeMessage(text: string): void {
  expect(text).toContain('NODE_VERSION_UNSUPPORTED');
  expect(text).toContain(`this is Node.js ${oldNode!.version}`);
  expect(text).toContain('22.22.2 or later 22.x, 24.15.0 or later 24.x, or 26.0.0 and later');
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toContain('undici');
}

let dir: TempDir;

beforeAll(async () => {
  dir = await makeTempDir('phpublish-old-node-');
});

afterAll(async () => {
  await dir?.cleanup();
});

describe.skipIf(!oldNode)(`when run on an unsupported Node.js (${oldNode?.version ?? 'none found'})`, () => {
  it.each([
    ['phpublish archive', PHPUBLISH, ['archive']],
    ['phpublish --version', PHPUBLISH, ['--version']],
    ['phpublish doctor', PHPUBLISH, ['doctor']],
    ['phpublish-changesets', CHANGESETS, []],
  ])('%s says which versions are supported and exits 2, without a stack', async (_name, program, args) => {
    const { code, stdout, stderr } = await run([program, ...args], dir.path);
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe('');
    expectUnsupportedNodeMessage(stderr);
  });

  it('the semantic-release plugin loads and fails its first hook with the coded error', async () => {
    const script = `
      const plugin = await import(${JSON.stringify(SEMANTIC_RELEASE_PLUGIN)});
      try {
        await plugin.verifyConditions({}, { cwd: process.cwd(), env: {}, logger: console });
        console.log(JSON.stringify({ passed: true }));
      } catch (error) {
        console.log(JSON.stringify({ semanticRelease: error.semanticRelease, code: error.code, message: error.message, details: error.details }));
      }`;
    const { code, stdout } = await run(['--input-type=module', '-e', script], dir.path);
    expect(code).toBe(0);
    const error = JSON.parse(stdout) as { semanticRelease: boolean; code: string; message: string; details: string };
    expect(error).toMatchObject({ semanticRelease: true, code: 'NODE_VERSION_UNSUPPORTED' });
    // semantic-release prints the code beside the message.
    expectUnsupportedNodeMessage(`${error.code}: ${error.message}`);
    expect(error.details).toContain('troubleshooting.md#nodejs-version-not-supported');
  });

  it('the release-it plugin loads and fails its first step with the coded error', async () => {
    const script = `
      const { default: Plugin } = await import(${JSON.stringify(RELEASE_IT_PLUGIN)});
      const plugin = Object.create(Plugin.prototype);
      try {
        await plugin.init();
        console.log(JSON.stringify({ passed: true }));
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, codes: error.codes, message: error.message }));
      }`;
    const { code, stdout, stderr } = await run(['--input-type=module', '-e', script], dir.path);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const error = JSON.parse(stdout) as { name: string; codes: string[]; message: string };
    expect(error).toMatchObject({ name: 'ReleaseItPhpublishError', codes: ['NODE_VERSION_UNSUPPORTED'] });
    expectUnsupportedNodeMessage(error.message);
  });
});
