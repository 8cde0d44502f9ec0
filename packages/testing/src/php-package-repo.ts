import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { git, gitEnv, TEST_GIT_DATE } from './git.js';
import { recordGitObjectsForLeakScan } from './leak-scan/leak-sources.js';
import { makeTempDir } from './temp-dir.js';

/** File contents by path relative to the repository root; `null` deletes the file. */
export type RepoFiles = Record<string, string | null>;

export interface TagOptions {
  /** An annotated tag object (with this message) instead of a lightweight ref. */
  annotated?: boolean;
  message?: string;
  /** What to tag; defaults to HEAD. */
  ref?: string;
  /** Move an existing tag (`git tag -f`). */
  force?: boolean;
}

export type TagSpec = string | ({ name: string } & TagOptions);

export interface PhpPackageRepoOptions {
  /** Where to create the repository; a new temp dir when absent. */
  dir?: string;
  /** Composer package name, e.g. `acme/hello`. */
  name: string;
  /** Added to (or replacing) the default files of the first commit. */
  files?: RepoFiles;
  /** Tags created on the first commit. */
  tags?: readonly TagSpec[];
  /** Extra environment for git (on top of `gitEnv()`). */
  env?: Record<string, string>;
}

export interface PhpPackageRepo {
  readonly dir: string;
  readonly name: string;
  /** The commit id HEAD points at now. */
  readonly head: string;
  /** Writes (or deletes) files and commits them; resolves to the new commit id. */
  commit(files: RepoFiles, message?: string): Promise<string>;
  /** Creates (or with `force`, moves) a tag; resolves to the commit id the tag points at. */
  tag(name: string, options?: TagOptions): Promise<string>;
  /** Runs git in the repository with the same isolated environment (and the current clock tick). */
  git(args: readonly string[]): Promise<string>;
  /** Removes the repository when this helper created its directory. */
  cleanup(): Promise<void>;
}

/** `acme/hello-world` → `Acme\HelloWorld`, the PSR-4 namespace the default files use. */
export function namespaceFor(packageName: string): string {
  const studly = (part: string) =>
    part
      .split(/[-_.]+/)
      .filter(Boolean)
      .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
      .join('');
  return packageName.split('/').map(studly).join('\\');
}

export function defaultComposerJson(packageName: string): string {
  const composer = {
    name: packageName,
    description: 'Says hello (a phpublish test package).',
    type: 'library',
    license: 'MIT',
    autoload: { 'psr-4': { [`${namespaceFor(packageName)}\\`]: 'src/' } },
    require: { php: '>=8.1' },
  };
  return `${JSON.stringify(composer, null, 4)}\n`;
}

export function defaultHelloPhp(packageName: string): string {
  return `<?php

declare(strict_types=1);

namespace ${namespaceFor(packageName)};

final class Hello
{
    public function greet(string $name): string
    {
        return 'Hello, ' . $name . '!';
    }
}
`;
}

/**
 * A real git repository holding a small Composer library, committed with a fixed identity. Each commit and
 * tag happens one minute after the previous one (from TEST_GIT_DATE), so ids are reproducible and times differ.
 */
export async function createPhpPackageRepo(options: PhpPackageRepoOptions): Promise<PhpPackageRepo> {
  const temp = options.dir === undefined ? await makeTempDir('phpublish-repo-') : undefined;
  const dir = options.dir ?? temp!.path;
  await mkdir(dir, { recursive: true });

  let tick = 0;
  const envForTick = () => {
    const date = new Date(Date.parse(TEST_GIT_DATE) + tick * 60_000).toISOString().replace('.000Z', 'Z');
    return gitEnv({ GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, ...options.env });
  };
  const run = (args: readonly string[]) => git(dir, args, { env: envForTick() });

  let head = '';
  const commit = async (files: RepoFiles, message = 'Update files') => {
    tick += 1;
    for (const [path, contents] of Object.entries(files)) {
      const target = join(dir, path);
      if (contents === null) {
        await rm(target, { force: true });
      } else {
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, contents);
      }
    }
    await run(['add', '--all']);
    await run(['commit', '--quiet', '--allow-empty', '-m', message]);
    head = (await run(['rev-parse', 'HEAD'])).trim();
    return head;
  };

  const tag = async (name: string, tagOptions: TagOptions = {}) => {
    tick += 1;
    const args = ['tag'];
    if (tagOptions.force) args.push('--force');
    if (tagOptions.annotated || tagOptions.message !== undefined) {
      args.push('--annotate', '-m', tagOptions.message ?? `Release ${name}`);
    }
    args.push(name, tagOptions.ref ?? 'HEAD');
    await run(args);
    return (await run(['rev-parse', `refs/tags/${name}^{commit}`])).trim();
  };

  await run(['init', '--quiet']);
  await commit(
    {
      'composer.json': defaultComposerJson(options.name),
      'src/Hello.php': defaultHelloPhp(options.name),
      ...options.files,
    },
    'Initial commit',
  );
  for (const spec of options.tags ?? []) {
    if (typeof spec === 'string') await tag(spec);
    else await tag(spec.name, spec);
  }

  return {
    dir,
    name: options.name,
    get head() {
      return head;
    },
    commit,
    tag,
    git: run,
    cleanup: async () => {
      await temp?.cleanup();
    },
  };
}

export interface BareRemote {
  /** The bare repository's directory; usable as a push URL. */
  readonly dir: string;
  cleanup(): Promise<void>;
}

/** An empty bare repository to push to, standing in for a hosted remote. */
export async function createBareRemote(env: Record<string, string> = gitEnv()): Promise<BareRemote> {
  const temp = await makeTempDir('phpublish-remote-');
  await git(temp.path, ['init', '--quiet', '--bare'], { env });
  // What was pushed here is what a real remote would keep: the leak scan reads it before it goes.
  const cleanup = async () => {
    await recordGitObjectsForLeakScan(temp.path, 'a bare remote');
    await temp.cleanup();
  };
  return { dir: temp.path, cleanup };
}
