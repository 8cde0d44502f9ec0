/**
 * The bad-input corpus, part two: what `phpublish verify` reads — composer.lock files, policies and
 * the key and trusted-root files they name, trusted roots, Sigstore bundles on a release, URLs and
 * numbers on the command line — against the local stand-ins (Packagist, GitHub, git). Each case
 * runs through the real `main()` and must end in its coded error: never exit 70, never a stack
 * trace, never a hang.
 */
import { readFile } from 'node:fs/promises';
import { releaseFileNames } from '@phpublish/core/attest';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  type CliRun,
  type MadeRelease,
  PACKAGE,
  startVerifyFixture,
  type VerifyFixture,
} from '../commands/testing/verify-fixture.js';
import { CORPUS_KINDS, type CorpusCase, expectCodedEnd, fill, loadCorpus } from './testing/corpus.js';

/** Per case: a bundle case makes a release first (a commit, a signed tag, a zip, a crawl). */
const CASE_TIMEOUT_MS = 60_000;

let fixture: VerifyFixture;
let baseline: MadeRelease;

beforeAll(async () => {
  fixture = await startVerifyFixture();
  baseline = await fixture.release('1.0.0');
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

function values(extra: Record<string, string> = {}): Record<string, string> {
  return {
    policy: fixture.policyFile,
    commit: baseline.commit,
    'packagist-url': fixture.packagist.url,
    ...extra,
  };
}

/** The case's input with the fixture's placeholders filled in, as a file of the fixture (bytes kept as they are). */
async function filledInput(c: CorpusCase): Promise<string> {
  const text = (await readFile(c.input as string)).toString('latin1');
  const filled = text.replace(/\{(commit|packagist-url)\}/g, (_whole, name: string) => values()[name] as string);
  return fixture.writeFile(c.id.replace('/', '-'), Buffer.from(filled, 'latin1'));
}

let bundleReleases = 0;

/** How each kind of case runs: the files it reads, the release it looks at. */
const harnesses: Record<string, (c: CorpusCase) => Promise<CliRun>> = {
  // Lock files name the fixture's release (its commit, its Packagist) where they need to.
  lock: async (c) => {
    const input = c.input ? await filledInput(c) : '';
    return fixture.cli(c.command.map((a) => fill(a, { ...c, input }, values())));
  },
  // Policies stay where they are: the key and root files they name are next to them.
  policy: async (c) => fixture.cli(c.command.map((a) => fill(a, c, values()))),
  url: async (c) => fixture.cli(c.command.map((a) => fill(a, c, values()))),
  // The fixture's policy, with the case's file as its trusted root.
  'trusted-root': async (c) => {
    const policy = (await readFile(fixture.policyFile, 'utf8')).replace('"trusted_root.json"', JSON.stringify(c.input));
    const file = await fixture.writeFile('policy.json', policy);
    return fixture.cli(c.command.map((a) => fill(a, c, values({ policy: file }))));
  },
  // A release without an attestation, then the case's file uploaded as its Sigstore bundle.
  bundle: async (c) => {
    const version = `2.0.${++bundleReleases}`;
    await fixture.release(version, { attest: false });
    await fixture.uploadAsset(
      `v${version}`,
      releaseFileNames(PACKAGE, version).bundle,
      await readFile(c.input as string),
    );
    return fixture.cli(c.command.map((a) => fill(a, c, values({ version }))));
  },
};

describe('the bad-input corpus, input of phpublish verify', () => {
  const cases = loadCorpus(CORPUS_KINDS.verify);

  it.each(cases.map((c) => [c.id, c] as const))(
    '%s ends in its coded error, without a crash, a stack trace or a hang',
    async (_id, c) => {
      expectCodedEnd(c, await harnesses[c.kind]!(c));
    },
    CASE_TIMEOUT_MS,
  );
});
