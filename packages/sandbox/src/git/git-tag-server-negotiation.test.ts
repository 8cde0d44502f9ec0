// The git tag server with git itself as the client: a scratch repository that fetches one tag after
// another sends what it already has ("have" lines), as `phpublish verify`'s git fallback does for
// every package after the first. The stand-in must negotiate as GitHub's real server does.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxGitTagServer, startSandboxGitTagServer } from './git-tag-server.js';

const run = promisify(execFile);
const env = { PATH: process.env['PATH'] ?? '', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' };
const git = async (cwd: string, args: string[]) => (await run('git', args, { cwd, env })).stdout.trim();

let repo: PhpPackageRepo;
let server: SandboxGitTagServer;
let scratch: string;

beforeAll(async () => {
  repo = await createPhpPackageRepo({
    name: 'acme/hello',
    tags: [{ name: 'v1.0.0', annotated: true, message: 'Release v1.0.0' }],
  });
  await repo.commit({ 'CHANGES.md': 'more\n' }, 'More');
  await repo.tag('v1.1.0', { annotated: true, message: 'Release v1.1.0' });
  server = await startSandboxGitTagServer();
  await server.addRepository('/acme/hello.git', repo.dir);
  scratch = await mkdtemp(join(tmpdir(), 'phpublish-negotiation-'));
  // As verify's tag fetcher makes it: a partial clone of "origin", so that trees may be left out.
  await git(scratch, ['init', '--quiet', '--bare', scratch]);
  await git(scratch, ['config', 'core.repositoryformatversion', '1']);
  await git(scratch, ['config', 'extensions.partialClone', 'origin']);
});
afterAll(async () => {
  await server.close();
  await repo.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

describe('when git fetches tag after tag into one repository', () => {
  it('gets each tag and its commit, also once it has objects to tell the server about', async () => {
    const url = `${server.url}/acme/hello.git`;
    for (const [number, tag] of ['v1.0.0', 'v1.1.0'].entries()) {
      await git(scratch, [
        ...['-c', `remote.origin.url=${url}`, '-c', 'remote.origin.promisor=true'],
        ...['fetch', '--quiet', '--no-tags', '--depth=1', '--filter=tree:0'],
        ...['origin', `+refs/tags/${tag}:refs/fetched/${number}`],
      ]);
      expect(await git(scratch, ['rev-parse', `refs/fetched/${number}^{commit}`])).toBe(
        await git(repo.dir, ['rev-parse', `${tag}^{commit}`]),
      );
    }
  });
});
