import { git, gitEnv } from '@phpublish/testing/git';
import { createBareRemote, createPhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SandboxGitHub, startSandboxGitHub } from './sandbox-github.js';

let github: SandboxGitHub;
let remote: Awaited<ReturnType<typeof createBareRemote>>;
let repo: Awaited<ReturnType<typeof createPhpPackageRepo>>;

beforeEach(async () => {
  github = await startSandboxGitHub();
  remote = await createBareRemote();
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: [] });
  await repo.git(['push', '-q', remote.dir, 'main']);
  github.addRepository('acme/hello', { gitDir: remote.dir });
});

afterEach(async () => {
  await github.close();
  await remote.cleanup();
  await repo.cleanup();
});

function createRef(body: unknown, token = github.issueToken('acme/hello', { contents: 'write' })) {
  return fetch(`${github.url}/repos/acme/hello/git/refs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('when a workflow creates a tag through git.createRef (as changesets/action does)', () => {
  it('creates a lightweight tag at the sha, and answers 422 "Reference already exists" without moving an existing one', async () => {
    const sha = repo.head;
    const created = await createRef({ ref: 'refs/tags/v1.0.0', sha });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ ref: 'refs/tags/v1.0.0', object: { sha } });
    expect((await git(remote.dir, ['cat-file', '-t', 'refs/tags/v1.0.0'])).trim()).toBe('commit');

    const other = await repo.commit({ 'src/Later.php': '<?php\n' }, 'later');
    await repo.git(['push', '-q', remote.dir, 'main']);
    const again = await createRef({ ref: 'refs/tags/v1.0.0', sha: other });
    expect(again.status).toBe(422);
    expect(((await again.json()) as { message: string }).message).toBe('Reference already exists');
    expect((await git(remote.dir, ['rev-parse', 'refs/tags/v1.0.0'])).trim()).toBe(sha);
  });

  it('refuses a token without contents: write, an unknown object and a malformed ref', async () => {
    const readOnly = github.issueToken('acme/hello', { contents: 'read' });
    expect((await createRef({ ref: 'refs/tags/v1.0.0', sha: repo.head }, readOnly)).status).toBe(403);
    expect((await createRef({ ref: 'refs/tags/v1.0.0', sha: 'f'.repeat(40) })).status).toBe(422);
    expect((await createRef({ ref: 'v1.0.0', sha: repo.head })).status).toBe(422);
    expect((await createRef({ ref: 'refs/tags/bad..name', sha: repo.head })).status).toBe(422);
    expect(await git(remote.dir, ['tag', '--list'], { env: gitEnv() })).toBe('');
  });
});
