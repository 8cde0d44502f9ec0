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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../clock.js';
import { isPhpublishError } from '../../errors/index.js';
import { DEFAULT_RETRY, type HttpDeps } from '../../http/index.js';
import { Redactor } from '../../log/index.js';
import { type FetchedTag, TagFetcher } from '../fetch-tag.js';
import { HttpFirstTagSource } from '../tag-source.js';
import { fetchTagOverHttp } from './fetch-tag-over-http.js';
import { environmentConfig, gitHttpConfigFrom, readGitHttpConfig, rewriteUrl } from './git-config.js';

const URL = 'https://github.com/acme/hello.git';
let repo: PhpPackageRepo;
let scratch: TempDir;
let backend: SandboxGitHttpBackend;
let tagServer: SandboxGitTagServer;
const agent = new Agent();
const http: HttpDeps = {
  dispatcher: agent,
  clock: systemClock,
  userAgent: 'phpublish-test',
  timeoutMs: 10_000,
  retry: { ...DEFAULT_RETRY, attempts: 1 },
};
let fetchers = 0;

/** The environment of a user whose git reads https://github.com/acme/ from `base`. */
function envMapping(base: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...gitEnv(),
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_1: `url.${base}.insteadOf`,
    GIT_CONFIG_VALUE_1: 'https://github.com/acme/',
    ...extra,
  };
}

/** The tag source verification uses, with real git behind it; `notices` collects its hand-overs to git. */
function tagSource(env: Record<string, string>) {
  const notices: string[] = [];
  const source = new HttpFirstTagSource({
    config: gitHttpConfigFrom(environmentConfig(env), env),
    http,
    redactor: new Redactor(),
    git: new TagFetcher(join(scratch.path, `git-${++fetchers}`), env),
    notice: (_key, message) => notices.push(message),
  });
  return { source, notices };
}

/** What real git fetches from the repository itself: the reference result. */
async function fetchedByGit(tag: string): Promise<FetchedTag> {
  const env = {
    ...gitEnv(),
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_1: `url.${repo.dir}.insteadOf`,
    GIT_CONFIG_VALUE_1: URL,
  };
  const fetcher = new TagFetcher(join(scratch.path, `reference-${++fetchers}`), env);
  try {
    return await fetcher.fetch(URL, tag);
  } finally {
    await fetcher.close();
  }
}

beforeAll(async () => {
  repo = await createPhpPackageRepo({
    name: 'acme/hello',
    tags: [{ name: 'v1.0.0', annotated: true, message: 'Release v1.0.0' }, 'v1.1.0'],
  });
  scratch = await makeTempDir('phpublish-http-tags-');
  backend = await startSandboxGitHttpBackend();
  backend.addRepository('/acme/hello.git', repo.dir);
  tagServer = await startSandboxGitTagServer();
  await tagServer.addRepository('/acme/hello.git', repo.dir);
});

afterAll(async () => {
  await agent.close();
  await backend.close();
  await tagServer.close();
  await repo.cleanup();
  await scratch.cleanup();
});

describe('tags over git’s smart HTTP protocol v2, against git’s own server (git http-backend)', () => {
  it('gets an annotated tag, a lightweight tag and a missing one exactly as git does, without git', async () => {
    const { source, notices } = tagSource(envMapping(`${backend.url}/acme/`));
    const annotated = await source.fetch(URL, 'v1.0.0');
    expect(annotated.kind).toBe('annotated');
    expect(annotated).toEqual(await fetchedByGit('v1.0.0'));
    expect(await source.fetch(URL, 'v1.1.0')).toEqual({ kind: 'lightweight', commit: repo.head });
    expect(await source.fetch(URL, 'v1')).toEqual({ kind: 'missing' });
    expect(notices).toEqual([]);
    expect(backend.requests).toContain('POST /acme/hello.git/git-upload-pack');
    await source.close();
  });

  it('refuses a tag name that could smuggle protocol lines, before any request', async () => {
    const before = backend.requests.length;
    const url = `${backend.url}/acme/hello.git`;
    await expect(fetchTagOverHttp({ url, tag: 'v1\n0000', display: url, http })).rejects.toThrow(/not a fetchable tag/);
    expect(backend.requests.length).toBe(before);
  });

  it('sees a tag that was moved since the last fetch', async () => {
    const { source } = tagSource(envMapping(`${backend.url}/acme/`));
    const before = await source.fetch(URL, 'v1.1.0');
    const moved = await repo.commit({ 'MOVED.txt': 'moved\n' }, 'Move');
    await repo.tag('v1.1.0', { force: true, ref: moved });
    const after = await source.fetch(URL, 'v1.1.0');
    expect(before).toEqual({ kind: 'lightweight', commit: expect.not.stringMatching(moved) });
    expect(after).toEqual({ kind: 'lightweight', commit: moved });
  });

  it('hands the fetch to git, once noted, when the server speaks protocol v0 only', async () => {
    const v0 = await startSandboxGitHttpBackend({ protocolV0Only: true });
    v0.addRepository('/acme/hello.git', repo.dir);
    try {
      const { source, notices } = tagSource(envMapping(`${v0.url}/acme/`));
      expect(await source.fetch(URL, 'v1.0.0')).toEqual(await fetchedByGit('v1.0.0'));
      expect(notices).toEqual([
        expect.stringMatching(/fetched with git \(the server does not speak git protocol v2\)/),
      ]);
      await source.close();
    } finally {
      await v0.close();
    }
  });

  it('hands a private repository (401) to git, which has credentials, and never shows them', async () => {
    const password = 'sandbox-secret-password';
    const secured = await startSandboxGitHttpBackend({ basicAuth: { username: 'reader', password } });
    secured.addRepository('/acme/hello.git', repo.dir);
    try {
      const env = envMapping(`${secured.url}/acme/`, {
        GIT_CONFIG_COUNT: '3',
        GIT_CONFIG_KEY_2: 'credential.helper',
        GIT_CONFIG_VALUE_2: `!f() { echo username=reader; echo password=${password}; }; f`,
      });
      const { source, notices } = tagSource(env);
      expect(await source.fetch(URL, 'v1.0.0')).toEqual(await fetchedByGit('v1.0.0'));
      expect(notices).toEqual([expect.stringMatching(/fetched with git \(HTTP 401/)]);
      expect(notices.join('\n')).not.toContain(password);
      await source.close();
    } finally {
      await secured.close();
    }
  });

  it('reads a SHA-256 repository, naming objects by SHA-256', async () => {
    const dir = join(scratch.path, 'sha256.git');
    const env = gitEnv();
    await git(scratch.path, ['init', '-q', '--object-format=sha256', dir], { env });
    await git(dir, ['commit', '-q', '--allow-empty', '-m', 'first'], { env });
    await git(dir, ['tag', '-a', '-m', 'Release v2.0.0', 'v2.0.0'], { env });
    const commit = (await git(dir, ['rev-parse', 'HEAD'], { env })).trim();
    backend.addRepository('/acme/sha256.git', dir);
    const { source, notices } = tagSource(envMapping(`${backend.url}/acme/`));
    const fetched = await source.fetch('https://github.com/acme/sha256.git', 'v2.0.0');
    expect(notices).toEqual([]);
    expect(fetched).toMatchObject({ kind: 'annotated', commit });
    expect(commit).toMatch(/^[0-9a-f]{64}$/);
    if (fetched.kind === 'annotated') expect(fetched.raw.toString('utf8')).toContain(`object ${commit}\ntype commit\n`);
  });
});

describe('against a hosted server’s stand-in (precomputed answers)', () => {
  it('gets the annotated and the lightweight tag', async () => {
    await tagServer.addRepository('/acme/hello.git', repo.dir);
    const { source, notices } = tagSource(envMapping(`${tagServer.url}/acme/`));
    expect(await source.fetch(URL, 'v1.0.0')).toEqual(await fetchedByGit('v1.0.0'));
    expect(await source.fetch(URL, 'v1.1.0')).toEqual(await fetchedByGit('v1.1.0'));
    expect(notices).toEqual([]);
  });

  it('fails with VERIFY_TAG_FORGED when the server sends other bytes than the object it advertised', async () => {
    const liar = await startSandboxGitTagServer();
    try {
      await liar.addRepository('/acme/hello.git', repo.dir);
      const real = await fetchedByGit('v1.0.0');
      if (real.kind !== 'annotated') throw new Error('v1.0.0 should be annotated');
      await liar.forgeTag(
        '/acme/hello.git',
        'v1.0.0',
        Buffer.from(real.raw.toString('utf8').replace('Release', 'Forged')),
      );
      const { source } = tagSource(envMapping(`${liar.url}/acme/`));
      const error = await source.fetch(URL, 'v1.0.0').catch((e: unknown) => e);
      expect(isPhpublishError(error, 'VERIFY_TAG_FORGED')).toBe(true);
      expect((error as Error).message).toContain(real.oid);
    } finally {
      await liar.close();
    }
  });
});

describe('git’s URL rewriting', () => {
  it('takes the longest matching insteadOf prefix, the first of equally long ones', () => {
    const rewrites = [
      { base: 'http://wrong/', prefix: 'https://github.com/' },
      { base: 'http://right/', prefix: 'https://github.com/acme/' },
      { base: 'http://later/', prefix: 'https://github.com/acme/' },
    ];
    expect(rewriteUrl('https://github.com/acme/hello.git', rewrites)).toBe('http://right/hello.git');
    expect(rewriteUrl('https://github.com/other/x.git', rewrites)).toBe('http://wrong/other/x.git');
    expect(rewriteUrl('https://gitlab.com/acme/x.git', rewrites)).toBe('https://gitlab.com/acme/x.git');
  });

  it('reads rewrites from the user’s git config and the environment, in one git process', async () => {
    const globalConfig = join(scratch.path, 'gitconfig');
    const env = { ...envMapping(`${backend.url}/acme/`), GIT_CONFIG_GLOBAL: globalConfig };
    await git(scratch.path, [
      'config',
      '--file',
      globalConfig,
      'url.http://127.0.0.1:9/.insteadOf',
      'https://github.com/',
    ]);
    const config = await readGitHttpConfig({ cwd: scratch.path, env });
    expect(config.customHttp).toBeUndefined();
    expect(rewriteUrl(URL, config.rewrites)).toBe(`${backend.url}/acme/hello.git`);
    expect(rewriteUrl('https://github.com/x/y', config.rewrites)).toBe('http://127.0.0.1:9/x/y');
  });

  it('leaves HTTP to git when the configuration changes how git makes requests', async () => {
    const env = envMapping(`${backend.url}/acme/`, { HTTPS_PROXY: 'http://proxy.invalid:3128' });
    const { source, notices } = tagSource(env);
    const before = backend.requests.length;
    expect(await source.fetch(URL, 'v1.0.0')).toMatchObject({ kind: 'annotated' });
    expect(notices).toEqual([expect.stringMatching(/HTTPS_PROXY/)]);
    // git itself fetched: the proxy is for https only, the rewritten URL is http.
    expect(backend.requests.slice(before).length).toBeGreaterThan(0);
    await source.close();
  });
});
