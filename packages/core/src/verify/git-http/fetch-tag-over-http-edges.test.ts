import { join } from 'node:path';
import {
  type SandboxGitHttpBackend,
  type SandboxGitTagServer,
  startSandboxGitHttpBackend,
  startSandboxGitTagServer,
} from '@phpublish/sandbox';
import { git, gitEnv } from '@phpublish/testing/git';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../clock.js';
import { DEFAULT_RETRY, type HttpDeps } from '../../http/index.js';
import { type FetchedTag, TagFetcher } from '../fetch-tag.js';
import { fetchTagOverHttp, UseGitInstead } from './fetch-tag-over-http.js';
import { FLUSH, pktLine } from './pkt-line.js';

// What the in-process tag reader does with answers a real code host may give besides the plain one:
// redirects (a renamed repository), pages that are not git's, errors, huge answers, and tags whose
// object chain is unusual. It either gets exactly what git gets, or hands the fetch to git (which
// then decides with its own checks) — it never guesses.

const INFO_REFS = '/info/refs';
const UPLOAD_PACK = '/git-upload-pack';
let repo: PhpPackageRepo;
let scratch: TempDir;
let server: SandboxGitTagServer;
let backend: SandboxGitHttpBackend;
const agent = new Agent();
const http: HttpDeps = {
  dispatcher: agent,
  clock: systemClock,
  userAgent: 'phpublish-test',
  timeoutMs: 10_000,
  retry: { ...DEFAULT_RETRY, attempts: 1 },
};

/** The reason the reader hands a fetch to git, or fails the test when it does not. */
async function reasonForGit(fetching: Promise<FetchedTag>): Promise<string> {
  const error = await fetching.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof UseGitInstead)) throw new Error(`expected UseGitInstead, got ${String(error)}`);
  return error.reason;
}

const fetchFrom = (url: string, tag = 'v1.0.0') => fetchTagOverHttp({ url, tag, display: url, http });

beforeAll(async () => {
  repo = await createPhpPackageRepo({
    name: 'acme/hello',
    tags: [{ name: 'v1.0.0', annotated: true, message: 'Release v1.0.0' }],
  });
  scratch = await makeTempDir('phpublish-http-tag-edges-');
  backend = await startSandboxGitHttpBackend();
});
beforeEach(async () => {
  server = await startSandboxGitTagServer();
  await server.addRepository('/acme/hello.git', repo.dir);
});
afterEach(async () => server.close());
afterAll(async () => {
  await agent.close();
  await backend.close();
  await repo.cleanup();
  await scratch.cleanup();
});

describe('when the repository URL is not one this client handles', () => {
  it.each([
    ['an scp-like SSH address', 'git@github.com:acme/hello.git', /not one this client reads/],
    ['an ssh:// URL', 'ssh://git@github.com/acme/hello.git', /not served over HTTP/],
    ['a URL with credentials in it', 'https://reader:s3cret@github.com/acme/hello.git', /carries credentials/],
  ])('hands %s to git without a request, and names no secret', async (_what, url, reason) => {
    const message = await reasonForGit(fetchFrom(url));
    expect(message).toMatch(reason);
    expect(message).not.toContain('s3cret');
    expect(server.requests).toEqual([]);
  });
});

describe('when the server redirects', () => {
  it('follows a moved repository to its new place, and asks the new place for the tag', async () => {
    server.injectFault({
      method: 'GET',
      path: `/acme/old-name.git${INFO_REFS}`,
      fault: {
        status: 301,
        headers: { location: `${server.url}/acme/hello.git${INFO_REFS}?service=git-upload-pack` },
      },
    });
    const fetched = await fetchFrom(`${server.url}/acme/old-name.git`);
    expect(fetched).toMatchObject({ kind: 'annotated', commit: repo.head });
    expect(server.requests).toEqual([
      `GET /acme/old-name.git${INFO_REFS}`,
      `GET /acme/hello.git${INFO_REFS}`,
      `POST /acme/hello.git${UPLOAD_PACK}`,
      `POST /acme/hello.git${UPLOAD_PACK}`,
    ]);
  });

  it('gives up after five redirects', async () => {
    const loop = `/acme/loop.git${INFO_REFS}`;
    server.injectFault({
      method: 'GET',
      path: loop,
      times: 10,
      fault: { status: 302, headers: { location: `${loop}?service=git-upload-pack` } },
    });
    expect(await reasonForGit(fetchFrom(`${server.url}/acme/loop.git`))).toMatch(/too many redirects/);
    expect(server.requests.length).toBe(6);
  });

  it('does not follow a redirect away from a git repository (a login page)', async () => {
    server.injectFault({
      method: 'GET',
      path: `/acme/hello.git${INFO_REFS}`,
      fault: { status: 302, headers: { location: '/login?return_to=/acme/hello.git' } },
    });
    expect(await reasonForGit(fetchFrom(`${server.url}/acme/hello.git`))).toMatch(/redirect elsewhere/);
    expect(server.requests).toEqual([`GET /acme/hello.git${INFO_REFS}`]);
  });

  it('does not follow a redirect of a protocol request', async () => {
    server.injectFault({
      method: 'POST',
      path: `/acme/hello.git${UPLOAD_PACK}`,
      fault: { status: 307, headers: { location: `${server.url}/elsewhere.git${UPLOAD_PACK}` } },
    });
    expect(await reasonForGit(fetchFrom(`${server.url}/acme/hello.git`))).toMatch(/redirect of a protocol request/);
  });
});

describe('when the server answers something other than git’s protocol', () => {
  it('hands an HTML page in place of the advertisement to git', async () => {
    server.injectFault({
      method: 'GET',
      path: `/acme/hello.git${INFO_REFS}`,
      fault: { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>Sign in</html>' },
    });
    expect(await reasonForGit(fetchFrom(`${server.url}/acme/hello.git`))).toMatch(/smart HTTP/);
  });

  it('hands an answer of another type to a protocol request to git', async () => {
    server.injectFault({
      method: 'POST',
      path: `/acme/hello.git${UPLOAD_PACK}`,
      fault: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' },
    });
    expect(await reasonForGit(fetchFrom(`${server.url}/acme/hello.git`))).toMatch(/with something else/);
  });

  it('hands a server error to git, naming the status', async () => {
    server.injectFault({ method: 'POST', path: `/acme/hello.git${UPLOAD_PACK}`, fault: { status: 500 } });
    expect(await reasonForGit(fetchFrom(`${server.url}/acme/hello.git`))).toBe('HTTP 500');
  });

  it('hands a corrupt pack to git rather than reading part of it', async () => {
    // ls-refs gets the server's real answer; the fetch gets a packfile section with a broken pack.
    const corrupt = Buffer.concat([pktLine('packfile\n'), pktLine(Buffer.from('\x01PACK-not-really-a-pack')), FLUSH]);
    server.injectFault({
      method: 'POST',
      path: `/acme/hello.git${UPLOAD_PACK}`,
      skip: 1,
      fault: {
        status: 200,
        headers: { 'content-type': 'application/x-git-upload-pack-result' },
        body: corrupt.toString('latin1'),
      },
    });
    expect(await reasonForGit(fetchFrom(`${server.url}/acme/hello.git`))).toMatch(/^the pack: .*no PACK header/);
  });

  it('does not read an answer larger than a tag needs (declared or not)', async () => {
    server.injectFault({
      method: 'GET',
      path: `/acme/hello.git${INFO_REFS}`,
      fault: { oversize: { bytes: 65 * 1024 * 1024, declared: true } },
    });
    expect(await reasonForGit(fetchFrom(`${server.url}/acme/hello.git`))).toMatch(/larger than a tag needs/);
    server.injectFault({
      method: 'GET',
      path: `/acme/hello.git${INFO_REFS}`,
      fault: { oversize: { bytes: 65 * 1024 * 1024, declared: false } },
    });
    expect(await reasonForGit(fetchFrom(`${server.url}/acme/hello.git`))).toMatch(/larger than a tag needs/);
  });
});

describe('when the tag’s objects are unusual (against git’s own server)', () => {
  let dir: string;
  let commit: string;
  const env = gitEnv();
  /** What git itself fetches for `tag`. */
  async function fetchedByGit(tag: string): Promise<FetchedTag> {
    const fetcher = new TagFetcher(join(scratch.path, `git-${tag}`), env);
    try {
      return await fetcher.fetch(`${backend.url}/acme/odd.git`, tag);
    } finally {
      await fetcher.close();
    }
  }
  beforeAll(async () => {
    dir = join(scratch.path, 'odd.git');
    await git(scratch.path, ['init', '-q', dir], { env });
    await git(dir, ['commit', '-q', '--allow-empty', '-m', 'first'], { env });
    commit = (await git(dir, ['rev-parse', 'HEAD'], { env })).trim();
    await git(dir, ['tag', '-a', '-m', 'inner', 'inner'], { env });
    // A tag object naming another tag object: `^{commit}` follows the chain.
    await git(dir, ['tag', '-a', '-m', 'outer', 'outer', 'inner'], { env });
    await git(dir, ['tag', '-a', '-m', 'a tree', 'tree-tag', 'HEAD^{tree}'], { env });
    const blob = (await git(dir, ['hash-object', '-w', '--stdin'], { env, input: 'text\n' })).trim();
    await git(dir, ['tag', 'blob-tag', blob], { env });
    backend.addRepository('/acme/odd.git', dir);
  });

  it('follows a tag that names a tag to its commit, as git does', async () => {
    const fetched = await fetchFrom(`${backend.url}/acme/odd.git`, 'outer');
    expect(fetched).toMatchObject({ kind: 'annotated', commit });
    expect(fetched).toEqual(await fetchedByGit('outer'));
  });

  it.each([
    ['an annotated tag of a tree', 'tree-tag', /names a tree, not a commit/],
    ['a lightweight tag of a blob', 'blob-tag', /names a blob, not a commit/],
  ])('hands %s to git (no commit to verify)', async (_what, tag, reason) => {
    expect(await reasonForGit(fetchFrom(`${backend.url}/acme/odd.git`, tag))).toMatch(reason);
  });
});
