import { mkdir } from 'node:fs/promises';
import { PhpublishError } from '../errors/index.js';
import { CatFileBatch } from '../git/batch.js';
import { type GitRunResult, gitComplaint, runGit } from '../git/run.js';
import { withoutSigningSecrets } from '../git/signed-tag.js';
import { Redactor } from '../log/index.js';

/** The tag as the package's repository has it. */
export type FetchedTag =
  | { kind: 'missing' }
  /** A plain ref to a commit. */
  | { kind: 'lightweight'; commit: string }
  /** An annotated tag object (its raw bytes) and the commit it peels to. */
  | { kind: 'annotated'; oid: string; raw: Buffer; commit: string };

/** Transports phpublish fetches tags over; anything else (local paths, `ext::`, `file://`) is refused. */
const FETCHABLE_URL = /^(?:(?:https?|ssh|git):\/\/[^\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+)$/;

/** What git says when the remote has no such ref (with LC_ALL=C). */
const NO_SUCH_REF = /couldn't find remote ref/i;

/** Composer versions as tag names; anything that could be read as a refspec or an option is refused. */
export function isFetchableTagName(tag: string): boolean {
  return /^[0-9A-Za-z][0-9A-Za-z._+-]*$/.test(tag) && !tag.includes('..') && !tag.endsWith('.lock');
}

export function isFetchableUrl(url: string): boolean {
  return FETCHABLE_URL.test(url);
}

/**
 * `git fetch` of one tag and its commit only (`--depth=1`), onto `ref` of a scratch repository,
 * from `url` given for this fetch alone: no tags, submodules, FETCH_HEAD or maintenance. Treeless
 * (`--filter=tree:0`) when only the tag and commit objects are read.
 */
export function fetchTagArgs(input: { url: string; tag: string; ref: string; treeless?: boolean }): string[] {
  return [
    '-c',
    `remote.origin.url=${input.url}`,
    'fetch',
    '--quiet',
    '--no-tags',
    '--no-write-fetch-head',
    '--no-auto-maintenance',
    '--recurse-submodules=no',
    '--depth=1',
    ...(input.treeless ? ['--filter=tree:0'] : []),
    'origin',
    `+refs/tags/${input.tag}:${input.ref}`,
  ];
}

/**
 * Fetches release tags with the real git into one scratch bare repository (never the user's),
 * the tag object and its commit only: `--depth=1` and, where the server supports it, a
 * `tree:0` filter, so a tag costs a few hundred bytes whatever the package's size. Every fetch
 * lands on a ref of its own, so one repository serves many packages one after the other without
 * one package's tag ever being read as another's. Not for concurrent use: one per worker.
 */
export class TagFetcher {
  readonly #dir: string;
  readonly #env: Record<string, string | undefined>;
  #ready: Promise<void> | undefined;
  /**
   * One `git cat-file --batch` for the life of the scratch repository: starting a process per read
   * costs more than the read. It sees the refs and packs that later fetches add.
   */
  #reader: CatFileBatch | undefined;
  #fetches = 0;
  readonly #timeoutMs: number | undefined;

  /**
   * `env`: the user's (credentials, proxies, `url.<base>.insteadOf`); signing secrets are removed.
   * `timeoutMs`: a fetch that takes longer is stopped (a server that accepts and never answers).
   */
  constructor(dir: string, env: Record<string, string | undefined>, options: { timeoutMs?: number } = {}) {
    this.#dir = dir;
    this.#timeoutMs = options.timeoutMs;
    this.#env = { ...withoutSigningSecrets(env), GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  }

  /** Throws VERIFY_REPOSITORY_UNREACHABLE when git cannot fetch for another reason than a missing tag. */
  async fetch(url: string, tag: string): Promise<FetchedTag> {
    await this.#init(url);
    const options = { cwd: this.#dir, env: this.#env };
    const ref = `refs/phpublish/${++this.#fetches}`;
    const fetched = await runGit(
      ['-c', 'remote.origin.promisor=true', ...fetchTagArgs({ url, tag, ref, treeless: true })],
      { ...options, ...(this.#timeoutMs !== undefined ? { timeoutMs: this.#timeoutMs } : {}) },
    );
    if (fetched.exitCode !== 0) {
      if (NO_SUCH_REF.test(fetched.stderr)) return { kind: 'missing' };
      throw unreachable(url, fetched, this.#timeoutMs);
    }
    // The object the ref names, and the commit it peels to, from the repository's reader.
    this.#reader ??= new CatFileBatch(
      { cwd: this.#dir, env: this.#env },
      { failure: (problem) => new Error(`git cat-file --batch: ${problem}`) },
    );
    const [named, peeled] = await this.#reader.readAll([ref, `${ref}^{commit}`]);
    if (!named) {
      throw unreachable(url, { exitCode: 1, stdout: Buffer.alloc(0), stderr: 'the fetched tag cannot be read back' });
    }
    // `^{commit}` finds nothing for a tag of a tree or a blob (git allows them): no commit to verify against.
    if (!peeled) {
      throw new PhpublishError('VERIFY_TAG_INVALID', { tag, problem: 'it names a tree or a blob, not a commit' });
    }
    if (named.type === 'commit') return { kind: 'lightweight', commit: peeled.oid };
    return { kind: 'annotated', oid: named.oid, raw: named.content, commit: peeled.oid };
  }

  /** Stops the repository's reader; the fetcher can be used again afterwards. */
  async close(): Promise<void> {
    const reader = this.#reader;
    this.#reader = undefined;
    await reader?.close();
  }

  /** The scratch repository, made once: bare, and a partial clone of "origin" (whose URL each fetch names). */
  #init(url: string): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(this.#dir, { recursive: true });
      const options = { cwd: this.#dir, env: this.#env };
      for (const args of [
        ['init', '--quiet', '--bare', this.#dir],
        ['config', 'core.repositoryformatversion', '1'],
        ['config', 'extensions.partialClone', 'origin'],
      ]) {
        const result = await runGit(args, options);
        if (result.exitCode !== 0) throw unreachable(url, result);
      }
    })();
    // A failed set-up is tried again with the next package.
    this.#ready.catch(() => {
      this.#ready = undefined;
    });
    return this.#ready;
  }
}

export function unreachable(url: string, result: GitRunResult, timeoutMs?: number): PhpublishError {
  const scrub = new Redactor();
  if (result.timedOut) {
    const seconds = timeoutMs === undefined ? 'its time limit' : `${Math.round(timeoutMs / 1000)} s`;
    return new PhpublishError('VERIFY_REPOSITORY_UNREACHABLE', {
      url: scrub.redact(url),
      reason: `git fetch did not finish within ${seconds}`,
    });
  }
  // git's own verdict, not the warnings before it (a server without filter support says so first).
  const fatal = result.stderr
    .split('\n')
    .map((line) => line.trim())
    .find((line) => /^(fatal|error): /.test(line));
  return new PhpublishError('VERIFY_REPOSITORY_UNREACHABLE', {
    url: scrub.redact(url),
    reason: scrub.redact(fatal?.replace(/^(fatal|error): /, '') ?? gitComplaint(result)),
  });
}
