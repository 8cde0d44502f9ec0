import { GitReader, isolatedGitEnv } from '../git/git-reader.js';
import { crawlPackage } from '../packagist/crawler.js';
import { archiveFolderName, DistArchives } from '../packagist/dist-archives.js';
import { dumpPackage } from '../packagist/metadata-dumper.js';
import type { SandboxPackage } from '../packagist/packages.js';

export interface VcsPackagesOptions {
  /** The sandbox's URL; dist URLs are under `<url>/<organization>/dists/`. */
  readonly baseUrl: () => string;
  readonly now: () => number;
  /** Stores a p2 file of the organisation's repository (`<organization>/<vendor>/<name>`). */
  readonly write: (key: string, json: string) => void;
  readonly log: (line: string) => void;
}

interface VcsPackage {
  readonly organization: string;
  readonly pkg: SandboxPackage;
  readonly reader: GitReader;
  /** The tags and branches seen at the last synchronisation, to notice a push. */
  refsSeen: string;
}

/**
 * An organisation's VCS packages, as Private Packagist keeps them: each one is crawled from its
 * repository like packagist.org crawls (the same Composer rules, moved tags refused), and its
 * metadata is dumped into the organisation's Composer repository. Private Packagist's code-hosting
 * synchronisation installs a webhook on each repository, so a pushed tag is picked up without any
 * call from the release job: `watch` models that webhook by noticing changed refs.
 */
export class VcsPackages {
  readonly #packages = new Map<string, VcsPackage>();
  readonly #dists = new DistArchives();
  readonly #options: VcsPackagesOptions;
  #watch: NodeJS.Timeout | undefined;
  #closed = false;
  #syncing: Promise<void> = Promise.resolve();

  constructor(options: VcsPackagesOptions) {
    this.#options = options;
  }

  static key(organization: string, name: string): string {
    return `${organization}/${name.toLowerCase()}`;
  }

  add(organization: string, init: { name: string; repositoryUrl: string; gitDir: string }): void {
    const pkg: SandboxPackage = {
      name: init.name,
      vendor: init.name.replace(/\/.*$/, ''),
      repository: init.repositoryUrl,
      maintainers: new Set(),
      remoteId: undefined,
      frozen: undefined,
      abandoned: undefined,
      crawledAt: undefined,
      versions: new Map(),
    };
    this.#packages.set(VcsPackages.key(organization, init.name), {
      organization,
      pkg,
      reader: new GitReader(init.gitDir, isolatedGitEnv()),
      refsSeen: '',
    });
  }

  has(organization: string, name: string): boolean {
    return this.#packages.has(VcsPackages.key(organization, name));
  }

  names(organization: string): string[] {
    return [...this.#packages.values()].filter((p) => p.organization === organization).map((p) => p.pkg.name);
  }

  versions(organization: string, name: string): { version: string; reference: string }[] {
    const entry = this.#packages.get(VcsPackages.key(organization, name));
    return entry
      ? [...entry.pkg.versions.values()]
          .filter((v) => v.softDeletedAt === undefined && !v.development)
          .map((v) => ({ version: v.prettyVersion, reference: v.reference }))
      : [];
  }

  /** Crawls one package now (what the webhook triggers), one synchronisation at a time. */
  sync(organization: string, name: string): Promise<void> {
    const run = this.#syncing.then(() => this.#crawl(organization, name));
    this.#syncing = run.catch(() => {});
    return run;
  }

  async #crawl(organization: string, name: string): Promise<void> {
    const entry = this.#packages.get(VcsPackages.key(organization, name));
    if (!entry) throw new Error(`sandbox Private Packagist: no VCS package ${name} in ${organization}`);
    entry.refsSeen = await this.#refs(entry);
    const result = await crawlPackage(entry.pkg, {
      baseUrl: `${this.#options.baseUrl()}/${organization}`,
      now: this.#options.now,
      dists: this.#dists,
      readerFor: (url) => (url === entry.pkg.repository ? entry.reader : undefined),
    });
    this.#options.log(`private packagist: ${organization} ${entry.pkg.name} synchronised: ${result.message}`);
    const dumped = dumpPackage(entry.pkg);
    this.#options.write(`${organization}/${entry.pkg.name.toLowerCase()}`, dumped.tags);
  }

  async #refs(entry: VcsPackage): Promise<string> {
    const [tags, branches] = await Promise.all([entry.reader.tags(), entry.reader.branches()]);
    return [...tags, ...branches].map((ref) => `${ref.name} ${ref.commit}`).join('\n');
  }

  /** Starts the webhook stand-in: every `intervalMs`, a package whose refs changed is synchronised. */
  watch(intervalMs: number): void {
    if (this.#watch) return;
    const tick = async () => {
      for (const entry of this.#packages.values()) {
        if ((await this.#refs(entry)) !== entry.refsSeen) await this.sync(entry.organization, entry.pkg.name);
      }
    };
    const loop = () => {
      if (this.#closed) return;
      this.#watch = setTimeout(() => {
        tick().then(loop, (error) => {
          this.#options.log(`private packagist: webhook stand-in failed: ${(error as Error).message}`);
          loop();
        });
      }, intervalMs);
      // A test that forgets to close the sandbox must not be kept alive by the webhook stand-in.
      this.#watch.unref();
    };
    loop();
  }

  /** The zip of a commit of a VCS package, as its dist URL serves it (undefined when unknown). */
  async dist(organization: string, name: string, commit: string): Promise<Buffer | undefined> {
    const entry = this.#packages.get(VcsPackages.key(organization, name));
    if (!entry || !(await entry.reader.isCommit(commit))) return undefined;
    return (await this.#dists.get(entry.reader, commit, archiveFolderName(entry.pkg.name, commit))).zip;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#watch);
    this.#watch = undefined;
    await this.#syncing;
  }
}
