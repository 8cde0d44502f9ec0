import { execFile } from 'node:child_process';

export interface GitRef {
  /** Name without `refs/tags/` or `refs/heads/`. */
  readonly name: string;
  /** The commit it points at (annotated tags peeled). */
  readonly commit: string;
}

export class GitReadError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'GitReadError';
  }
}

/**
 * Read-only access to the local git directory that stands in for a hosted repository, the way Composer's
 * git driver reads a mirror: refs, files at a commit, commit dates and archives. Every call runs git with the
 * environment given to the sandbox (no user or system configuration).
 */
export class GitReader {
  constructor(
    readonly gitDir: string,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  run(args: readonly string[], options: { allowFailure?: boolean } = {}): Promise<{ stdout: Buffer; ok: boolean }> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        ['-C', this.gitDir, ...args],
        { env: this.env, encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error && !options.allowFailure) {
            reject(
              new GitReadError(`git ${args.join(' ')}: ${stderr.toString('utf8').trim()}`, stderr.toString('utf8')),
            );
          } else {
            resolve({ stdout, ok: !error });
          }
        },
      );
      child.stdin?.on('error', () => {});
      child.stdin?.end();
    });
  }

  /** Whether the directory is a git repository at all. */
  async exists(): Promise<boolean> {
    return (await this.run(['rev-parse', '--git-dir'], { allowFailure: true })).ok;
  }

  /** The branch HEAD names: the repository's default branch (Composer's root identifier). */
  async defaultBranch(): Promise<string | undefined> {
    const { stdout, ok } = await this.run(['symbolic-ref', '--quiet', '--short', 'HEAD'], { allowFailure: true });
    return ok ? stdout.toString('utf8').trim() : undefined;
  }

  /** Tags as `git show-ref --tags --dereference` lists them (Composer's GitDriver::getTags), by name. */
  async tags(): Promise<GitRef[]> {
    const { stdout } = await this.run(['show-ref', '--tags', '--dereference'], { allowFailure: true });
    const byName = new Map<string, string>();
    for (const line of stdout.toString('utf8').split('\n')) {
      const match = /^([a-f0-9]{40}) refs\/tags\/(\S+?)(\^\{\})?$/.exec(line);
      // The peeled `^{}` line comes after the tag object's line and replaces it.
      if (match) byName.set(match[2]!, match[1]!);
    }
    const refs = [...byName].map(([name, commit]) => ({ name, commit }));
    return this.onlyCommits(refs);
  }

  async branches(): Promise<GitRef[]> {
    const { stdout } = await this.run(['for-each-ref', '--format=%(objectname) %(refname:strip=2)', 'refs/heads']);
    return stdout
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const space = line.indexOf(' ');
        return { commit: line.slice(0, space), name: line.slice(space + 1) };
      });
  }

  /** A file's contents at a commit, or undefined when the commit has no such file. */
  async fileAt(commit: string, path: string): Promise<string | undefined> {
    const { stdout, ok } = await this.run(['cat-file', 'blob', `${commit}:${path}`], { allowFailure: true });
    return ok ? stdout.toString('utf8') : undefined;
  }

  /** Whether `revision` names a commit in this repository. */
  async isCommit(revision: string): Promise<boolean> {
    if (revision.startsWith('-')) return false;
    const { stdout, ok } = await this.run(['cat-file', '-t', revision], { allowFailure: true });
    return ok && stdout.toString('utf8').trim() === 'commit';
  }

  /** Committer date in Unix seconds (GitHub's driver reads the committer date of the commit). */
  async commitTime(commit: string): Promise<number> {
    const { stdout } = await this.run(['log', '-1', '--no-show-signature', '--format=%ct', commit, '--']);
    return Number.parseInt(stdout.toString('utf8').trim(), 10);
  }

  /** `git archive --format=zip`: honours export-ignore and export-subst in the commit's .gitattributes. */
  async zipArchive(commit: string, prefix: string): Promise<Buffer> {
    const { stdout } = await this.run(['archive', '--format=zip', `--prefix=${prefix}`, commit]);
    return stdout;
  }

  private async onlyCommits(refs: GitRef[]): Promise<GitRef[]> {
    if (refs.length === 0) return refs;
    const types = await new Promise<string[]>((resolve, reject) => {
      const child = execFile(
        'git',
        ['-C', this.gitDir, 'cat-file', '--batch-check=%(objecttype)'],
        { env: this.env, encoding: 'utf8' },
        (error, stdout, stderr) => (error ? reject(new GitReadError(stderr, stderr)) : resolve(stdout.split('\n'))),
      );
      child.stdin?.end(`${refs.map((ref) => ref.commit).join('\n')}\n`);
    });
    return refs.filter((_, index) => types[index] === 'commit');
  }
}

/** The isolated environment the sandbox's git readers run in: no user or system configuration, no prompts. */
export function isolatedGitEnv(): Record<string, string | undefined> {
  return {
    PATH: process.env['PATH'],
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
  };
}
