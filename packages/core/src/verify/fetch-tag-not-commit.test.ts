import { join } from 'node:path';
import { type SandboxGitHttpBackend, startSandboxGitHttpBackend } from '@phpublish/sandbox';
import { git, gitEnv } from '@phpublish/testing/git';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { TagFetcher } from './fetch-tag.js';

// A release tag that names no commit (a tag of a tree or of a blob, which git allows): there is no
// commit to compare the dist with. The fetch says so in a coded error about the tag, never that the
// repository could not be reached (it was).

let scratch: TempDir;
let backend: SandboxGitHttpBackend;
const env = gitEnv();

beforeAll(async () => {
  scratch = await makeTempDir('phpublish-tag-not-commit-');
  const dir = join(scratch.path, 'odd.git');
  await git(scratch.path, ['init', '-q', dir], { env });
  await git(dir, ['commit', '-q', '--allow-empty', '-m', 'first'], { env });
  await git(dir, ['tag', '-a', '-m', 'a tree', 'v1.0.0', 'HEAD^{tree}'], { env });
  const blob = (await git(dir, ['hash-object', '-w', '--stdin'], { env, input: 'text\n' })).trim();
  await git(dir, ['tag', 'v2.0.0', blob], { env });
  backend = await startSandboxGitHttpBackend();
  backend.addRepository('/acme/odd.git', dir);
});
afterAll(async () => {
  await backend.close();
  await scratch.cleanup();
});

describe('when the release tag names no commit', () => {
  it.each([
    ['an annotated tag of a tree', 'v1.0.0'],
    ['a lightweight tag of a blob', 'v2.0.0'],
  ])('fails %s with VERIFY_TAG_INVALID, saying it names no commit', async (_what, tag) => {
    const fetcher = new TagFetcher(join(scratch.path, `fetch-${tag}`), env);
    try {
      const error = await fetcher.fetch(`${backend.url}/acme/odd.git`, tag).catch((e: unknown) => e);
      expect(isPhpublishError(error, 'VERIFY_TAG_INVALID')).toBe(true);
      expect(String(error)).toContain(`Tag ${tag} cannot be verified: it names a tree or a blob, not a commit`);
    } finally {
      await fetcher.close();
    }
  });
});
