import { join } from 'node:path';
import { type SandboxGitTagServer, startSandboxGitTagServer } from '@phpublish/sandbox';
import { codeOf } from '@phpublish/testing/errors';
import { gitEnv } from '@phpublish/testing/git';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../clock.js';
import { DEFAULT_RETRY, type HttpDeps } from '../../http/index.js';
import { Redactor } from '../../log/index.js';
import { type FetchedTag, TagFetcher } from '../fetch-tag.js';
import { HttpFirstTagSource } from '../tag-source.js';
import { environmentConfig, gitHttpConfigFrom } from './git-config.js';
import { FLUSH, PktLineProblem, packetText, pktLine, readPackets } from './pkt-line.js';

// A code host's git server answering what it should not: broken pkt-line framing, garbage where a
// pack should be, a dropped connection. The in-process reader never trusts such an answer: it hands
// the fetch to git (whose own checks then apply) or fails with a coded error, never with a crash.

const URL = 'https://github.com/acme/hello.git';
const UPLOAD_PACK = '/acme/hello.git/git-upload-pack';
/** An answer that says it is upload-pack's, whatever its bytes are. */
const asUploadPack = (body: string) => ({
  status: 200,
  headers: { 'content-type': 'application/x-git-upload-pack-result' },
  body,
});
let repo: PhpPackageRepo;
let scratch: TempDir;
let server: SandboxGitTagServer;
let reference: FetchedTag;
let fetchers = 0;
const agent = new Agent();
const http: HttpDeps = {
  dispatcher: agent,
  clock: systemClock,
  userAgent: 'phpublish-test',
  timeoutMs: 10_000,
  retry: { ...DEFAULT_RETRY, attempts: 1 },
};

function gitReadingFrom(base: string): Record<string, string> {
  return {
    ...gitEnv(),
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `url.${base}.insteadOf`,
    GIT_CONFIG_VALUE_0: 'https://github.com/acme/',
  };
}

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

beforeAll(async () => {
  repo = await createPhpPackageRepo({
    name: 'acme/hello',
    tags: [{ name: 'v1.0.0', annotated: true, message: 'Release v1.0.0' }],
  });
  scratch = await makeTempDir('phpublish-hostile-git-');
  // What git fetches from the repository itself: the reference result.
  const env = {
    ...gitEnv(),
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `url.${repo.dir}.insteadOf`,
    GIT_CONFIG_VALUE_0: URL,
  };
  const direct = new TagFetcher(join(scratch.path, 'direct'), env);
  reference = await direct.fetch(URL, 'v1.0.0');
  await direct.close();
});
beforeEach(async () => {
  server = await startSandboxGitTagServer();
  await server.addRepository('/acme/hello.git', repo.dir);
});
afterEach(async () => server.close());
afterAll(async () => {
  await agent.close();
  await repo.cleanup();
  await scratch.cleanup();
});

describe('when the pkt-line framing of an answer is broken', () => {
  it.each([
    ['a length that is not hex', 'zzzz0000'],
    ['a length below the header’s own four bytes', '0003'],
    ['a line cut short', '0032version 2\n'],
    ['a length cut short', '00'],
  ])('hands the fetch to git on %s, which gets the real tag', async (_what, body) => {
    server.injectFault({ method: 'POST', path: UPLOAD_PACK, fault: asUploadPack(body) });
    const { source, notices } = tagSource(gitReadingFrom(`${server.url}/acme/`));
    try {
      expect(await source.fetch(URL, 'v1.0.0')).toEqual(reference);
      expect(notices).toEqual([expect.stringMatching(/fetched with git \(.*pkt-line/)]);
    } finally {
      await source.close();
    }
  });
});

describe('when the answer to the fetch is not a pack', () => {
  it('hands the fetch to git, which gets the real tag', async () => {
    // The ls-refs answer is the server's own; the fetch that follows gets a flush and nothing else.
    server.injectFault({ method: 'POST', path: UPLOAD_PACK, skip: 1, fault: asUploadPack('0000') });
    const { source, notices } = tagSource(gitReadingFrom(`${server.url}/acme/`));
    try {
      expect(await source.fetch(URL, 'v1.0.0')).toEqual(reference);
      expect(notices).toEqual([expect.stringMatching(/fetched with git/)]);
    } finally {
      await source.close();
    }
  });
});

describe('when the server drops the connection and git cannot reach it either', () => {
  it('fails with VERIFY_REPOSITORY_UNREACHABLE', async () => {
    server.injectFault({ path: /.*/, fault: { reset: true }, times: 100 });
    const { source } = tagSource(gitReadingFrom(`${server.url}/acme/`));
    try {
      expect(await codeOf(source.fetch(URL, 'v1.0.0'))).toBe('VERIFY_REPOSITORY_UNREACHABLE');
    } finally {
      await source.close();
    }
  });
});

describe('pkt-line framing', () => {
  it('reads data, flush, delim and response-end packets, and a line without its newline', () => {
    const message = Buffer.concat([pktLine('version 2\n'), FLUSH, Buffer.from('00010002', 'latin1')]);
    const packets = [...readPackets(message)];
    expect(packets.map((p) => p.kind)).toEqual(['data', 'flush', 'delim', 'response-end']);
    expect(packetText(packets[0]!)).toBe('version 2');
    expect(packetText(packets[1]!)).toBeUndefined();
    expect(packetText({ kind: 'data', payload: Buffer.from('no newline') })).toBe('no newline');
  });

  it('refuses to frame a line longer than the protocol allows', () => {
    expect(() => pktLine(Buffer.alloc(65_517))).toThrow(PktLineProblem);
    expect(pktLine(Buffer.alloc(65_516)).subarray(0, 4).toString('latin1')).toBe('fff0');
  });
});
