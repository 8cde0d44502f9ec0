import type { HttpDeps } from '../http/index.js';
import type { Redactor } from '../log/index.js';
import type { FetchedTag, TagFetcher } from './fetch-tag.js';
import { fetchTagOverHttp, type TagObjectStore, UseGitInstead } from './git-http/fetch-tag-over-http.js';
import { type GitHttpConfig, rewriteUrl } from './git-http/git-config.js';

/** Where verification gets a package's tag from. */
export interface TagSource {
  /** `url` as the metadata names it (before any rewriting). */
  fetch(url: string, tag: string): Promise<FetchedTag>;
  close(): Promise<void>;
}

/** Says something once per key for a whole run (one line per reason and host, not per package). */
export function onceOnly(say: (message: string) => void): (key: string, message: string) => void {
  const said = new Set<string>();
  return (key, message) => {
    if (said.has(key)) return;
    said.add(key);
    say(message);
  };
}

/**
 * Fetches tags in this process over git's smart HTTP protocol v2 when git would fetch them over
 * HTTP(S), and hands them to git itself otherwise (see fetchTagOverHttp for when): the two give
 * the same FetchedTag for the same repository, so every check downstream is the same. Each hand-over
 * is noted once per run and reason.
 */
export class HttpFirstTagSource implements TagSource {
  readonly #config: GitHttpConfig;
  readonly #http: HttpDeps;
  readonly #redactor: Redactor;
  readonly #git: TagFetcher;
  readonly #notice: (key: string, message: string) => void;
  readonly #tagObjects: TagObjectStore | undefined;

  constructor(input: {
    /** The user's rewrites and HTTP settings, read once per run. */
    config: GitHttpConfig;
    http: HttpDeps;
    redactor: Redactor;
    /** git itself, for what this client does not fetch. */
    git: TagFetcher;
    notice: (key: string, message: string) => void;
    /** Tag objects read before (the verification cache's), not fetched again while the ref is unmoved. */
    tagObjects?: TagObjectStore;
  }) {
    this.#config = input.config;
    this.#http = input.http;
    this.#redactor = input.redactor;
    this.#git = input.git;
    this.#notice = input.notice;
    this.#tagObjects = input.tagObjects;
  }

  async fetch(url: string, tag: string): Promise<FetchedTag> {
    if (this.#config.customHttp) {
      const setting = this.#config.customHttp;
      this.#notice(`config ${setting}`, `Tags are fetched with git: your git configuration sets ${setting}`);
      return this.#git.fetch(url, tag);
    }
    const target = rewriteUrl(url, this.#config.rewrites);
    if (!/^https?:\/\//i.test(target)) {
      this.#notice('not http', 'Tags of repositories that git reaches other than over HTTP(S) are fetched with git');
      return this.#git.fetch(url, tag);
    }
    try {
      return await fetchTagOverHttp({
        url: target,
        tag,
        display: this.#redactor.redact(url),
        http: this.#http,
        ...(this.#tagObjects ? { tagObjects: this.#tagObjects } : {}),
      });
    } catch (error) {
      if (!(error instanceof UseGitInstead)) throw error;
      const host = hostOf(target);
      this.#notice(
        `${host} ${error.reason}`,
        `Tags from ${host} are fetched with git (${this.#redactor.redact(error.reason)})`,
      );
      return this.#git.fetch(url, tag);
    }
  }

  close(): Promise<void> {
    return this.#git.close();
  }
}

/** The host (and port) only: no credentials, no path. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'a repository';
  }
}
