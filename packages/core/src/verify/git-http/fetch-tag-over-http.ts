import { request } from 'undici';
import { PhpublishError } from '../../errors/index.js';
import { type HttpDeps, HttpNetworkError, withRetry } from '../../http/index.js';
import { type FetchedTag, isFetchableTagName } from '../fetch-tag.js';
import { type ObjectFormat, type PackedObject, PackProblem, readPack } from './packfile.js';
import { PktLineProblem } from './pkt-line.js';
import {
  type Capabilities,
  fetchRequest,
  lsRefsRequest,
  ProtocolMismatch,
  packOfFetchResponse,
  parseCapabilities,
  parseLsRefs,
} from './upload-pack-v2.js';

/**
 * This client cannot get the tag, but git itself may (other credentials, another protocol
 * version, a pack it cannot read): the caller asks git. `reason` names no secret.
 */
export class UseGitInstead extends Error {
  override name = 'UseGitInstead';
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface TagOverHttpInput {
  /** The repository's URL after git's URL rewriting: http or https. */
  url: string;
  tag: string;
  /** The URL as the metadata names it, redacted: what messages show. */
  display: string;
  http: HttpDeps;
  /**
   * Tag objects read before (the verification cache's, checked against their object ids): a tag
   * the repository still advertises at the same object id is not fetched again.
   */
  tagObjects?: TagObjectStore;
}

/** Annotated tag objects by object id: content-addressed, so what comes back is checked against its id. */
export interface TagObjectStore {
  /** The bytes of the tag object with this id, when they are kept and hash to it. */
  get(format: ObjectFormat, oid: string): Promise<Buffer | undefined>;
  put(format: ObjectFormat, oid: string, raw: Buffer): Promise<void>;
}

const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const INFO_REFS = '/info/refs?service=git-upload-pack';

/**
 * Fetches one tag in this process over git's smart HTTP protocol v2: the capability
 * advertisement, `ls-refs` for the tag, then `fetch` of the tag object, its commit and nothing
 * else. The result is what TagFetcher gives for the same repository: every object is named by
 * its own hash, the ref's object must be among them, and the commit is the one the tag object's
 * bytes name — the server's word is taken for nothing. Throws UseGitInstead when git should try
 * (not http, not protocol v2, 401/403, a pack this reader does not handle), VERIFY_TAG_FORGED
 * when the server's objects contradict its refs, VERIFY_REPOSITORY_UNREACHABLE when no answer came.
 */
export async function fetchTagOverHttp(input: TagOverHttpInput): Promise<FetchedTag> {
  // The name goes into protocol lines: callers check it first (verifyPackage does).
  if (!isFetchableTagName(input.tag)) throw new Error(`fetchTagOverHttp: "${input.tag}" is not a fetchable tag name`);
  let repository: URL;
  try {
    repository = new URL(input.url);
  } catch {
    throw new UseGitInstead('the URL is not one this client reads');
  }
  if (repository.protocol !== 'https:' && repository.protocol !== 'http:') {
    throw new UseGitInstead('the repository is not served over HTTP');
  }
  // git asks its credential helpers for such URLs; this client never handles credentials.
  if (repository.username || repository.password) throw new UseGitInstead('the URL carries credentials');
  repository.hash = '';
  repository.search = '';

  try {
    const { base, capabilities } = await advertisement(repository.href.replace(/\/+$/, ''), input);
    const lsRefs = await post(`${base}/git-upload-pack`, lsRefsRequest(input.tag, capabilities), input);
    const advertised = parseLsRefs(lsRefs, input.tag, capabilities);
    if (!advertised) return { kind: 'missing' };
    const format = capabilities.objectFormat;
    const known = await input.tagObjects?.get(format, advertised.oid);
    if (known) {
      const tag = knownTag(advertised, known, input);
      if (tag) return tag;
    }
    const fetched = await post(`${base}/git-upload-pack`, fetchRequest(advertised.oid, capabilities), input);
    const tag = resolveTag(advertised, readPack(packOfFetchResponse(fetched), format), input);
    if (tag.kind === 'annotated' && knownTag(advertised, tag.raw, input)) {
      await input.tagObjects?.put(format, tag.oid, tag.raw);
    }
    return tag;
  } catch (error) {
    if (error instanceof ProtocolMismatch || error instanceof PktLineProblem) throw new UseGitInstead(error.message);
    if (error instanceof PackProblem) throw new UseGitInstead(`the pack: ${error.message}`);
    if (error instanceof HttpNetworkError) {
      throw new PhpublishError('VERIFY_REPOSITORY_UNREACHABLE', { url: input.display, reason: error.reason });
    }
    throw error;
  }
}

/** The tag as its objects say: the ref's object, and the commit its chain of tag objects ends at. */
function resolveTag(
  advertised: { oid: string; peeled?: string },
  objects: readonly PackedObject[],
  input: TagOverHttpInput,
): FetchedTag {
  const byId = new Map(objects.map((object) => [object.oid, object]));
  const forged = (problem: string) =>
    new PhpublishError('VERIFY_TAG_FORGED', { tag: input.tag, url: input.display, oid: advertised.oid, problem });
  const named = byId.get(advertised.oid);
  if (!named) throw forged('none of the objects it sent has that name (their bytes hash to other ids)');
  if (named.type === 'commit') {
    if (advertised.peeled) throw forged('it also says the ref peels to another object');
    return { kind: 'lightweight', commit: named.oid };
  }
  if (named.type !== 'tag') throw new UseGitInstead(`the tag names a ${named.type}, not a commit`);
  let current = named;
  // A tag may name a tag (rarely); git's `^{commit}` follows the chain as far as it goes.
  for (let depth = 0; current.type === 'tag'; depth++) {
    const target = targetOf(current.content);
    if (!target || depth > 8) throw new UseGitInstead('a tag object’s target cannot be read');
    const next = byId.get(target.oid);
    if (!next) throw new UseGitInstead(`the pack lacks the ${target.type} the tag names`);
    if (next.type !== target.type)
      throw forged(`the tag says it names a ${target.type}, but that object is a ${next.type}`);
    current = next;
  }
  if (current.type !== 'commit') throw new UseGitInstead(`the tag names a ${current.type}, not a commit`);
  if (advertised.peeled && advertised.peeled !== current.oid) {
    throw forged(`it says the tag peels to ${advertised.peeled}, but the tag object names ${current.oid}`);
  }
  return { kind: 'annotated', oid: named.oid, raw: named.content, commit: current.oid };
}

/**
 * The tag from a tag object read before under the advertised id (its bytes hash to it, so they are
 * the object the ref names): when it names a commit directly, that commit is the tag's, as git's
 * `^{commit}` would say. A tag naming another tag is fetched instead, to follow the chain.
 */
function knownTag(
  advertised: { oid: string; peeled?: string },
  raw: Buffer,
  input: TagOverHttpInput,
): FetchedTag | undefined {
  const target = targetOf(raw);
  if (target?.type !== 'commit') return undefined;
  if (advertised.peeled && advertised.peeled !== target.oid) {
    throw new PhpublishError('VERIFY_TAG_FORGED', {
      tag: input.tag,
      url: input.display,
      oid: advertised.oid,
      problem: `it says the tag peels to ${advertised.peeled}, but the tag object names ${target.oid}`,
    });
  }
  return { kind: 'annotated', oid: advertised.oid, raw, commit: target.oid };
}

/** The `object` and `type` header lines of a tag object. */
function targetOf(content: Buffer): { oid: string; type: string } | undefined {
  const header = content.toString('latin1', 0, Math.min(content.length, 200));
  const match = /^object ([0-9a-f]{40}|[0-9a-f]{64})\ntype (commit|tree|blob|tag)\n/.exec(header);
  return match ? { oid: match[1]!, type: match[2]! } : undefined;
}

/** The capability advertisement, following redirects the way git does (the new base is used after). */
async function advertisement(
  base: string,
  input: TagOverHttpInput,
): Promise<{ base: string; capabilities: Capabilities }> {
  let url = `${base}${INFO_REFS}`;
  for (let redirects = 0; ; redirects++) {
    const answer = await exchange(url, 'GET', undefined, input);
    if (answer.location !== undefined) {
      if (redirects >= MAX_REDIRECTS) throw new UseGitInstead('too many redirects');
      url = new URL(answer.location, url).href;
      if (!url.endsWith(INFO_REFS) || !/^https?:/.test(url)) throw new UseGitInstead('a redirect elsewhere');
      continue;
    }
    if (answer.contentType !== 'application/x-git-upload-pack-advertisement') {
      throw new UseGitInstead('the server does not speak git’s smart HTTP protocol');
    }
    return { base: url.slice(0, -INFO_REFS.length), capabilities: parseCapabilities(answer.body) };
  }
}

async function post(url: string, body: Buffer, input: TagOverHttpInput): Promise<Buffer> {
  const answer = await exchange(url, 'POST', body, input);
  if (answer.location !== undefined) throw new UseGitInstead('a redirect of a protocol request');
  if (answer.contentType !== 'application/x-git-upload-pack-result') {
    throw new UseGitInstead('the server answered a protocol request with something else');
  }
  return answer.body;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  location?: string;
  body: Buffer;
}

/** Too large an answer: not retried. */
class TooLarge extends Error {}

/**
 * One request with the run's dispatcher and retry policy (both commands are reads: retrying them
 * is harmless). A 200 or a redirect is the answer; 401/403 (git may have credentials) and any
 * other status send the caller to git, whose verdict on the repository then stands.
 */
async function exchange(url: string, method: 'GET' | 'POST', body: Buffer | undefined, input: TagOverHttpInput) {
  const { http } = input;
  const { response } = await withRetry<Answer>(
    { url, idempotent: true },
    http,
    async () => {
      const answer = await request(url, {
        dispatcher: http.dispatcher,
        method,
        headers: {
          'user-agent': `git/phpublish (${http.userAgent})`,
          'git-protocol': 'version=2',
          ...(body
            ? {
                'content-type': 'application/x-git-upload-pack-request',
                accept: 'application/x-git-upload-pack-result',
              }
            : {}),
        },
        ...(body ? { body } : {}),
        headersTimeout: http.timeoutMs,
        bodyTimeout: http.timeoutMs,
      });
      const declared = Number(answer.headers['content-length']);
      if (answer.statusCode !== 200 || (Number.isFinite(declared) && declared > MAX_ANSWER_BYTES)) {
        await answer.body.dump();
        if (Number.isFinite(declared) && declared > MAX_ANSWER_BYTES) throw new TooLarge();
        const location = answer.headers['location'];
        return {
          status: answer.statusCode,
          headers: answer.headers,
          contentType: '',
          body: Buffer.alloc(0),
          ...(answer.statusCode >= 300 && answer.statusCode < 400 && typeof location === 'string' ? { location } : {}),
        };
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of answer.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          answer.body.destroy();
          throw new TooLarge();
        }
        chunks.push(chunk);
      }
      const type = answer.headers['content-type'];
      return {
        status: 200,
        headers: answer.headers,
        contentType: (typeof type === 'string' ? type : '').split(';')[0]!.trim().toLowerCase(),
        body: Buffer.concat(chunks),
      };
    },
    {
      isNetworkError: (error) => !(error instanceof TooLarge),
      discard: async () => {},
    },
  ).catch((error: unknown) => {
    if (error instanceof TooLarge) throw new UseGitInstead('an answer larger than a tag needs');
    throw error;
  });
  if (response.status === 401 || response.status === 403) {
    throw new UseGitInstead(`HTTP ${response.status} (git may have credentials for it)`);
  }
  if (response.status !== 200 && response.location === undefined) throw new UseGitInstead(`HTTP ${response.status}`);
  return response;
}
