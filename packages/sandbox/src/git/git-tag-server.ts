import { execFile } from 'node:child_process';
import type { SandboxRequest, SandboxResponse } from '../http/exchange.js';
import { FaultInjector, type FaultRule } from '../http/faults.js';
import { type RecordedRequest, recordInto } from '../http/request-log.js';
import { startHttpServer } from '../http/server.js';

/**
 * A stand-in for a hosted git server's tag fetches (GitHub's), answering git's smart HTTP protocol
 * v2 from responses built once per tag with real git (`git pack-objects`): `ls-refs` for tags and
 * `fetch` of a tag object with its commit. Its answers cost no git process per request — a hosted
 * server's CPU is not the client's — so what a benchmark against it measures is the client.
 * Only what a tag fetch needs is served; anything else is refused.
 */
export interface SandboxGitTagServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Serves the tags of the repository in `dir` at `<url><path>` (e.g. `/acme/hello.git`), as they are now. */
  addRepository(path: string, dir: string): Promise<void>;
  /**
   * Makes the server lie about `tag` of the repository at `path`: it still advertises the tag's
   * real object id, but sends `forged` (a tag object's bytes) in its place.
   */
  forgeTag(path: string, tag: string, forged: Buffer): Promise<void>;
  /** Requests answered so far, by method and path. */
  readonly requests: readonly string[];
  /** Arms a fault at matching requests, as every stand-in does (see FaultRule). */
  injectFault(rule: FaultRule): void;
  /** Disarms every fault not used yet. */
  clearFaults(): void;
  close(): Promise<void>;
}

interface ServedTag {
  ref: string;
  oid: string;
  /** The commit an annotated tag peels to. */
  peeled?: string;
  /** The whole answer to `fetch` of `oid`. */
  fetchAnswer: Buffer;
}

const CAPABILITIES = ['version 2', 'agent=phpublish-sandbox', 'ls-refs', 'fetch=shallow filter', 'object-format=sha1'];

function pkt(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0'), 'latin1'), body]);
}
const FLUSH = Buffer.from('0000');
const DELIM = Buffer.from('0001');

/** The data lines of a pkt-line request, as text. */
function requestLines(body: Buffer): string[] {
  const lines: string[] = [];
  for (let offset = 0; offset + 4 <= body.length; ) {
    const length = Number.parseInt(body.toString('latin1', offset, offset + 4), 16);
    if (!Number.isFinite(length)) break;
    if (length < 4) {
      offset += 4;
      continue;
    }
    lines.push(body.toString('utf8', offset + 4, offset + length).replace(/\n$/, ''));
    offset += length;
  }
  return lines;
}

function git(dir: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      ['-C', dir, ...args],
      {
        encoding: 'buffer',
        maxBuffer: 256 * 1024 * 1024,
        env: { PATH: process.env['PATH'], GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`git ${args.join(' ')}: ${stderr.toString('utf8').trim()}`)) : resolve(stdout),
    );
    // git may exit before it reads its input (it needs none): that is not an error.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** The `fetch` answer for a pack: the shallow boundary (one commit deep), then the pack on side-band 1. */
function fetchAnswer(commit: string, pack: Buffer): Buffer {
  const parts = [pkt('shallow-info\n'), pkt(`shallow ${commit}\n`), DELIM, pkt('packfile\n')];
  for (let offset = 0; offset < pack.length; offset += 65515) {
    parts.push(pkt(Buffer.concat([Buffer.from([1]), pack.subarray(offset, offset + 65515)])));
  }
  parts.push(FLUSH);
  return Buffer.concat(parts);
}

async function packOf(dir: string, oids: readonly string[]): Promise<Buffer> {
  return git(dir, ['pack-objects', '--stdout', '-q'], Buffer.from(`${oids.join('\n')}\n`));
}

export async function startSandboxGitTagServer(): Promise<SandboxGitTagServer> {
  const repositories = new Map<string, { dir: string; tags: Map<string, ServedTag> }>();
  const requests: string[] = [];
  const recorded: RecordedRequest[] = [];
  const answer = (status: number, type: string, body: Buffer | string): SandboxResponse => ({
    status,
    headers: { 'content-type': type, 'cache-control': 'no-cache' },
    body,
  });
  const handle = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const match = /^(.*)\/(info\/refs|git-upload-pack)$/.exec(request.path);
    const repository = match ? repositories.get(match[1]!) : undefined;
    if (!match || !repository) return answer(404, 'text/plain', 'Not Found\n');
    if (match[2] === 'info/refs') {
      if (request.query.get('service') !== 'git-upload-pack') return answer(403, 'text/plain', 'Forbidden\n');
      return answer(
        200,
        'application/x-git-upload-pack-advertisement',
        Buffer.concat([...CAPABILITIES.map((line) => pkt(`${line}\n`)), FLUSH]),
      );
    }
    const lines = requestLines(request.body);
    const result = (body: Buffer) => answer(200, 'application/x-git-upload-pack-result', body);
    if (lines[0] === 'command=ls-refs') {
      const prefixes = lines.filter((l) => l.startsWith('ref-prefix ')).map((l) => l.slice('ref-prefix '.length));
      const peel = lines.includes('peel');
      const refs = [...repository.tags.values()].filter((t) => prefixes.some((p) => t.ref.startsWith(p)));
      return result(
        Buffer.concat([
          ...refs.map((t) => pkt(`${t.oid} ${t.ref}${peel && t.peeled ? ` peeled:${t.peeled}` : ''}\n`)),
          FLUSH,
        ]),
      );
    }
    if (lines[0] === 'command=fetch') {
      const wants = lines.filter((l) => l.startsWith('want ')).map((l) => l.slice('want '.length));
      const served = [...repository.tags.values()].find((t) => t.oid === wants[0]);
      if (wants.length !== 1 || !served) return result(Buffer.concat([pkt(`ERR not our ref ${wants[0]}\n`)]));
      // A client that sent what it has and no `done` expects an acknowledgments section first (git
      // fetching into a repository that holds earlier tags). The answer is always ready: the pack is
      // the tag and its commit whatever the client has, as a server that finds nothing in common sends.
      const negotiating = lines.some((l) => l.startsWith('have ')) && !lines.includes('done');
      const acknowledgments = [pkt('acknowledgments\n'), pkt('NAK\n'), pkt('ready\n'), DELIM];
      return result(negotiating ? Buffer.concat([...acknowledgments, served.fetchAnswer]) : served.fetchAnswer);
    }
    return result(pkt('ERR unknown command\n'));
  };
  // The sandbox's one server: the same request recorder (and URL audit) as every other stand-in.
  const record = recordInto(recorded, () => []);
  const faults = new FaultInjector();
  const server = await startHttpServer({
    faults,
    handle,
    onRequest: (request) => {
      record(request);
      requests.push(`${request.method} ${request.path}`);
    },
    onResponse: () => {},
    onError: (error) => process.stderr.write(`sandbox git tag server: ${(error as Error).stack ?? String(error)}\n`),
  });

  return {
    url: server.url,
    requests,
    addRepository: async (path, dir) => {
      const listing = await git(dir, [
        'for-each-ref',
        '--format=%(objectname) %(objecttype) %(refname) %(*objectname) %(*objecttype)',
        'refs/tags',
      ]);
      const tags = new Map<string, ServedTag>();
      for (const line of listing.toString('utf8').split('\n').filter(Boolean)) {
        const [oid, type, ref, peeled, peeledType] = line.split(' ');
        // Tags of commits, directly or through one tag object: what releases are.
        const commit = type === 'commit' ? oid! : peeledType === 'commit' ? peeled! : undefined;
        if (!commit) continue;
        const pack = await packOf(dir, type === 'commit' ? [oid!] : [oid!, commit]);
        tags.set(ref!, {
          ref: ref!,
          oid: oid!,
          ...(type === 'tag' ? { peeled: commit } : {}),
          fetchAnswer: fetchAnswer(commit, pack),
        });
      }
      repositories.set(path.replace(/\/+$/, ''), { dir, tags });
    },
    forgeTag: async (path, tag, forged) => {
      const repository = repositories.get(path.replace(/\/+$/, ''));
      const served = repository?.tags.get(`refs/tags/${tag}`);
      if (!repository || !served?.peeled) throw new Error(`no annotated tag ${tag} served at ${path}`);
      const forgedOid = (
        await git(repository.dir, ['hash-object', '-w', '--literally', '-t', 'tag', '--stdin'], forged)
      )
        .toString('utf8')
        .trim();
      served.fetchAnswer = fetchAnswer(served.peeled, await packOf(repository.dir, [forgedOid, served.peeled]));
    },
    injectFault: (rule) => faults.arm(rule),
    clearFaults: () => faults.clear(),
    close: () => server.close(),
  };
}
