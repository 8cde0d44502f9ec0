/**
 * The bad-input corpus, part one: what phpublish reads from the machine it runs on — zips, git trees,
 * tag names, options files, composer.json, signing keys and passphrases, CI environment variables.
 * Each case runs through the real `main()` and must end in its coded error: never exit 70, never a
 * stack trace, never a hang.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { archiveGitEnv, commitTree, fixtureRepo, writeBlob, writeRawTree } from '@phpublish/testing/archive';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import type { PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from '../commands/testing/run-cli.js';
import { CORPUS_DIR, CORPUS_KINDS, type CorpusCase, expectCodedEnd, fill, loadCorpus } from './testing/corpus.js';

/** Per case: enough for the slowest real work (a key check with GnuPG), short of a hang. */
const CASE_TIMEOUT_MS = 30_000;

let work: TempDir;
let treeRepo: PhpPackageRepo;
let fixture: PackagistFixture;
let composerJson: string;

beforeAll(async () => {
  work = await makeTempDir('phpublish-corpus-');
  treeRepo = await fixtureRepo({});
  fixture = await startPackagistFixture({ tags: ['v1.0.0'] });
  composerJson = await readFile(join(fixture.repo.dir, 'composer.json'), 'utf8');
}, 120_000);

afterAll(async () => {
  await fixture?.cleanup();
  await treeRepo?.cleanup();
  await work?.cleanup();
});

/** One raw tree entry of a git-tree recipe: a blob (`content`), a symlink (mode 120000, `content` is its target) or a subtree. */
interface RecipeEntry {
  mode: string;
  /** The name as text, or `nameHex` for bytes that are not UTF-8. */
  name?: string;
  nameHex?: string;
  content?: string;
  entries?: RecipeEntry[];
}

/** Writes the recipe's tree (with the repository's composer.json unless the recipe has one) and commits it. */
async function commitRecipe(repo: PhpPackageRepo, recipe: { entries: RecipeEntry[] }): Promise<string> {
  const writeTree = async (entries: RecipeEntry[]): Promise<string> => {
    const raw = [];
    for (const entry of entries) {
      const name = entry.nameHex === undefined ? Buffer.from(entry.name ?? '') : Buffer.from(entry.nameHex, 'hex');
      const oid = entry.entries ? await writeTree(entry.entries) : await writeBlob(repo.dir, entry.content ?? '');
      raw.push({ mode: entry.mode, name, oid });
    }
    return writeRawTree(
      repo.dir,
      raw.sort((a, b) => Buffer.compare(a.name, b.name)),
    );
  };
  const entries = recipe.entries.some((e) => e.name === 'composer.json')
    ? recipe.entries
    : [...recipe.entries, { mode: '100644', name: 'composer.json', content: '{"name": "acme/fixture"}\n' }];
  return commitTree(repo.dir, await writeTree(entries));
}

let outs = 0;

/** How each kind of case runs: where, with what environment and which placeholders. */
const harnesses: Record<string, (c: CorpusCase) => Promise<CliRun & { leftOver?: string }>> = {
  zip: async (c) =>
    runCli(
      c.command.map((a) => fill(a, c, { 'work-dir': work.path })),
      { cwd: work.path, env: archiveGitEnv },
    ),

  'git-tree': async (c) => {
    const commit = await commitRecipe(treeRepo, JSON.parse(await readFile(c.input as string, 'utf8')));
    const out = join(work.path, `tree-${++outs}.zip`);
    const run = await runCli(
      c.command.map((a) => fill(a, c, { commit, out })),
      { cwd: treeRepo.dir, env: archiveGitEnv },
    );
    return { ...run, leftOver: existsSync(out) ? out : undefined };
  },

  // A package repository with a Packagist stand-in; attestation off unless the case's config says otherwise.
  repo: async (c) => {
    const values = {
      'packagist-url': fixture.packagist.url,
      'repository-url': REPOSITORY_URL,
      'safe-token': fixture.alice.safeToken,
    };
    const config = c.config ?? {
      attest: { enabled: false },
      packagist: { url: '{packagist-url}', repoUrl: '{packagist-url}', repositoryUrl: '{repository-url}' },
    };
    await writeFile(join(fixture.repo.dir, 'phpublish.config.json'), fill(JSON.stringify(config), c, values));
    if (c.kind === 'composer-json')
      await writeFile(join(fixture.repo.dir, 'composer.json'), await readFile(c.input as string));
    try {
      const env = gitEnv({ PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: fixture.alice.safeToken });
      for (const [name, value] of Object.entries(c.env)) env[name] = fill(value, c, values);
      return await runCli(
        c.command.map((a) => fill(a, c, values)),
        { cwd: fixture.repo.dir, env },
      );
    } finally {
      await writeFile(join(fixture.repo.dir, 'composer.json'), composerJson);
      await rm(join(fixture.repo.dir, 'phpublish.config.json'), { force: true });
    }
  },
};

const KINDS = {
  zip: 'zip',
  'git-tree': 'git-tree',
  'tag-name': 'repo',
  config: 'repo',
  'composer-json': 'repo',
  key: 'repo',
  env: 'repo',
} as const;

describe('the bad-input corpus, local inputs', () => {
  const cases = loadCorpus(CORPUS_KINDS.local);

  it('runs every kind of the corpus somewhere, and the corpus holds at least 150 cases', () => {
    const kinds = [...CORPUS_KINDS.local, ...CORPUS_KINDS.verify];
    expect(readdirSync(CORPUS_DIR).sort()).toEqual([...kinds].sort());
    expect(Object.keys(KINDS).sort()).toEqual([...CORPUS_KINDS.local].sort());
    expect(loadCorpus(kinds).length).toBeGreaterThanOrEqual(150);
  });

  it.each(cases.map((c) => [c.id, c] as const))(
    '%s ends in its coded error, without a crash, a stack trace or a hang',
    async (_id, c) => {
      const run = await harnesses[KINDS[c.kind as keyof typeof KINDS]]!(c);
      expectCodedEnd(c, run);
      expect(run.leftOver, `${c.id} left a partial zip behind`).toBeUndefined();
    },
    CASE_TIMEOUT_MS,
  );
});
