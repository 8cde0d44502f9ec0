/**
 * Every outbound call of a release × every fault kind, from ONE table (RELEASE_CALLS × FAULT_KINDS).
 * Each cell releases a new version through the core ReleaseSession with the fault armed at that
 * call, then re-runs the same release with the fault gone. A cell passes when the faulted run either
 * finished (retried within the bounds) or stopped with a coded error that has a remedy, and the
 * re-run finished with nothing duplicated: one tag (never moved), one release, each asset once, one
 * attestation, the version once on Packagist at the tagged commit. docs/reliability.md describes
 * the same table step by step.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS, type FaultKind, RELEASE_CALLS, type ReleaseCall, type WorldKind } from './testing/fault-table.js';
import { RETRY, type ReleaseOutcome, type ReleaseWorld, startReleaseWorld } from './testing/release-world.js';

const worlds = new Map<WorldKind, Promise<ReleaseWorld>>();
let releases = 0;

afterAll(async () => {
  for (const world of worlds.values()) await (await world).close();
});

/** The call's world (GitHub Actions and Packagist, GitLab CI, or Private Packagist), started on first use. */
function worldFor(call: ReleaseCall): Promise<ReleaseWorld> {
  const kind = call.world ?? 'github';
  let world = worlds.get(kind);
  if (!world) {
    world = startReleaseWorld(
      kind === 'gitlab' ? { ci: 'gitlab' } : kind === 'private-packagist' ? { packagist: 'private-packagist' } : {},
    );
    worlds.set(kind, world);
  }
  return world;
}

/** What one finished release of `tag` at `commit` must have left, exactly once each. */
async function expectReleasedOnce(world: ReleaseWorld, tag: string, commit: string, attestationsBefore: number) {
  const state = await world.state(tag);
  const localTag = (await world.repo.git(['rev-parse', `refs/tags/${tag}`])).trim();
  expect(state.remoteTag).toBe(localTag);
  expect(state.releases).toBe(1);
  const version = tag.slice(1);
  expect([...state.assets].sort()).toEqual(world.assetsOf(version));
  expect(state.attestations - attestationsBefore).toBe(world.attestationsPerRelease);
  expect(state.packagistVersions.filter((v) => v.startsWith(`${tag}@`))).toEqual([world.publishedEntry(tag, commit)]);
}

function expectNoCrash(outcome: ReleaseOutcome) {
  if (outcome.crash) throw new Error(`crashed: ${(outcome.crash as Error)?.stack ?? String(outcome.crash)}`);
}

function describeOutcome(outcome: ReleaseOutcome): string {
  return outcome.error ? outcome.error.code : 'finished';
}

async function runCell(call: ReleaseCall, kind: FaultKind) {
  const world = await worldFor(call);
  releases += 1;
  const tag = `v1.${releases}.0`;
  const commit = await world.prepare(tag, { newPackage: call.newPackage === true });
  const attestationsBefore = (await world.state(tag)).attestations;
  const disarm = await call.arm(world, kind);
  const faulted = await world.release(tag, commit);
  await disarm();
  if (process.env['FAULT_MATRIX_TRACE']) {
    console.log(
      `${call.name} × ${kind.name}: ${faulted.error ? faulted.error.format().split('\n')[0] : 'finished'} (${faulted.ms} ms)`,
    );
  }
  expectNoCrash(faulted);
  // Never more attempts than the retry policy allows at one call.
  const retries = faulted.lines.filter((line) => /retrying in/.test(line));
  const perUrl = new Map<string, number>();
  for (const line of retries) {
    const url = /from (\S+?);/.exec(line)?.[1] ?? '';
    perUrl.set(url, (perUrl.get(url) ?? 0) + 1);
  }
  for (const count of perUrl.values()) expect(count).toBeLessThanOrEqual(RETRY.attempts - 1);

  if (faulted.error) {
    expect(faulted.error.remedy.length).toBeGreaterThan(0);
    expect(faulted.error.format()).not.toMatch(/\n\s+at /); // no stack trace
    // Whatever the failed run pushed is what the re-run finds: a tag is never moved.
    const pushedBefore = (await world.state(tag)).remoteTag;
    const rerun = await world.release(tag, commit);
    expectNoCrash(rerun);
    expect(rerun.error?.format(), rerun.lines.join('\n')).toBeUndefined();
    if (pushedBefore) expect((await world.state(tag)).remoteTag).toBe(pushedBefore);
  }
  await expectReleasedOnce(world, tag, commit, attestationsBefore);
  return describeOutcome(faulted);
}

describe('docs/reliability.md', () => {
  it('names every call and every fault kind of the table', () => {
    const doc = readFileSync(new URL('../../../../docs/reliability.md', import.meta.url), 'utf8');
    for (const name of [...RELEASE_CALLS.map((call) => call.name), ...FAULT_KINDS.map((kind) => kind.name)]) {
      expect(doc, name).toContain(`**${name}**`);
    }
  });
});

/**
 * The whole product takes many minutes (a release per cell, two when it stops). By default the HTTP
 * calls meet the kinds along a diagonal: each call one kind, the next call the kind before it, so
 * that every call and every kind is exercised on each run (the git push meets all of its kinds).
 * PHPUBLISH_FAULT_MATRIX=full runs every cell.
 */
const FULL_MATRIX = process.env['PHPUBLISH_FAULT_MATRIX'] === 'full';
const HTTP_KIND_COUNT = FAULT_KINDS.filter((kind) => kind.http).length;
function selected(callIndex: number, kindIndex: number, call: ReleaseCall): boolean {
  return FULL_MATRIX || call.standIn === undefined || (callIndex + kindIndex) % HTTP_KIND_COUNT === 0;
}

describe('when each outbound call of a release meets each fault', () => {
  for (const [callIndex, call] of RELEASE_CALLS.entries()) {
    describe(`at ${call.name}`, () => {
      for (const [kindIndex, kind] of FAULT_KINDS.filter((k) => call.kinds.includes(k.name)).entries()) {
        it.runIf(selected(callIndex, kindIndex, call))(
          `${kind.name}: finishes, or stops with a coded error and a re-run finishes with nothing duplicated`,
          async () => {
            const outcome = await runCell(call, kind);
            const expected = call.expect?.[kind.name] ?? kind.expect;
            if (expected !== 'either') {
              expect(outcome === 'finished' ? 'finished' : 'stopped', outcome).toBe(expected);
            }
          },
          60_000,
        );
      }
    });
  }
});

describe('when GitHub serves a certificate the client does not trust (a TLS failure)', () => {
  it('stops with a coded error before anything reaches GitHub, and a re-run that trusts it finishes', async () => {
    const tlsWorld = await startReleaseWorld({ githubTls: true });
    const untrusting = new Agent();
    try {
      const tag = 'v9.0.0';
      const commit = await tlsWorld.prepare(tag);
      const faulted = await tlsWorld.release(tag, commit, { dispatcher: untrusting });
      expectNoCrash(faulted);
      expect(faulted.error?.code).toBeDefined();
      expect(faulted.error?.format()).toMatch(/certificate/i);
      expect(tlsWorld.services.github.releases('acme/hello').flatMap((r) => r.assets)).toEqual([]);
      const rerun = await tlsWorld.release(tag, commit);
      expect(rerun.error?.format(), rerun.lines.join('\n')).toBeUndefined();
      const state = await tlsWorld.state(tag);
      expect(state.releases).toBe(1);
      expect([...state.assets].sort()).toEqual(['acme-hello-9.0.0.sigstore.json', 'acme-hello-9.0.0.zip']);
      expect(state.packagistVersions).toEqual([`${tag}@${commit}`]);
    } finally {
      await untrusting.close();
      await tlsWorld.close();
    }
  }, 120_000);
});
