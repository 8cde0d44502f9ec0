/**
 * Two release jobs of the same tag at once (a CI re-run racing the first), each in its own checkout:
 * one finishes, the other finishes too or stops with a coded error; then nothing is duplicated or
 * corrupted, and a re-run of the one that stopped finishes.
 */
import { gitEnv } from '@phpublish/testing/git';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedTag, git } from '../git/index.js';
import { readSigningKeyMaterial } from '../pgp/key-material.js';
import { loadSigningKey } from '../pgp/signing-key.js';
import { type ReleaseOutcome, type ReleaseWorld, startReleaseWorld } from './testing/release-world.js';

let world: ReleaseWorld;
let checkouts: TempDir;

beforeAll(async () => {
  world = await startReleaseWorld();
  checkouts = await makeTempDir('phpublish-checkouts-');
}, 60_000);
afterAll(async () => {
  await world?.close();
  await checkouts?.cleanup();
});

/** A job's own checkout of `origin` at `commit`, with the tags origin has (what actions/checkout gives a job). */
async function checkout(name: string, commit: string): Promise<string> {
  const dir = `${checkouts.path}/${name}`;
  const env = gitEnv();
  await git(['clone', '-q', world.remote, dir], { cwd: checkouts.path, env });
  await git(['checkout', '-q', '--detach', commit], { cwd: dir, env });
  return dir;
}

async function expectReleasedOnce(tag: string, commit: string, attestationsBefore: number) {
  const state = await world.state(tag);
  expect(state.releases).toBe(1);
  const version = tag.slice(1);
  expect([...state.assets].sort()).toEqual([`acme-hello-${version}.sigstore.json`, `acme-hello-${version}.zip`]);
  expect(state.attestations - attestationsBefore).toBe(1);
  expect(state.packagistVersions.filter((v) => v.startsWith(`${tag}@`))).toEqual([`${tag}@${commit}`]);
  return state;
}

function expectFinishedOrStoppedCleanly(outcomes: ReleaseOutcome[]) {
  for (const outcome of outcomes) {
    if (outcome.crash) throw outcome.crash;
    if (outcome.error) expect(outcome.error.remedy.length).toBeGreaterThan(0);
  }
  expect(outcomes.filter((outcome) => !outcome.error).length).toBeGreaterThanOrEqual(1);
}

describe('when two jobs release the same tag at once', () => {
  it('from the commit alone (each creates and pushes the tag): one tag wins, nothing is duplicated', async () => {
    const tag = 'v2.0.0';
    const commit = await world.prepare(tag);
    await world.repo.git(['push', '-q', 'origin', 'HEAD:refs/heads/main']);
    const [first, second] = [await checkout('a1', commit), await checkout('b1', commit)];
    const before = world.services.github.attestations('acme/hello').length;

    const outcomes = await Promise.all([
      world.release(tag, commit, { cwd: first }),
      world.release(tag, commit, { cwd: second }),
    ]);
    expectFinishedOrStoppedCleanly(outcomes);

    // The job that stopped is re-run the way CI re-runs it: a fresh checkout, with the pushed tag.
    for (const [index, outcome] of outcomes.entries()) {
      if (!outcome.error) continue;
      const rerun = await world.release(tag, commit, { cwd: await checkout(`rerun1-${index}`, commit) });
      expect(rerun.error?.format()).toBeUndefined();
    }
    const state = await expectReleasedOnce(tag, commit, before);
    // The tag origin has is one of the two jobs' tags, unmoved, and verifies.
    const winners = await Promise.all(
      [first, second].map((dir) => git(['rev-parse', `refs/tags/${tag}`], { cwd: dir, env: gitEnv() })),
    );
    expect(winners).toContain(state.remoteTag);
  }, 120_000);

  it('when the tag is already pushed (both race through attestation and Packagist): one attestation, each asset once', async () => {
    const tag = 'v2.1.0';
    const commit = await world.prepare(tag);
    // The host tool tagged and pushed (signed with the release key); then two jobs publish it at once.
    const { material } = readSigningKeyMaterial({ env: { PHPUBLISH_GPG_PRIVATE_KEY: world.key.armoredPrivateKey } });
    const key = await loadSigningKey(material!);
    await createSignedTag({ cwd: world.repo.dir, env: gitEnv(), tag, target: commit, message: `Release ${tag}`, key });
    await world.repo.git(['push', '-q', 'origin', 'HEAD:refs/heads/main', `refs/tags/${tag}`]);
    const pushed = (await world.state(tag)).remoteTag;
    const [first, second] = [await checkout('a2', commit), await checkout('b2', commit)];
    const before = world.services.github.attestations('acme/hello').length;

    const outcomes = await Promise.all([
      world.release(tag, commit, { cwd: first }),
      world.release(tag, commit, { cwd: second }),
    ]);
    expectFinishedOrStoppedCleanly(outcomes);
    for (const [index, outcome] of outcomes.entries()) {
      if (!outcome.error) continue;
      const rerun = await world.release(tag, commit, { cwd: await checkout(`rerun2-${index}`, commit) });
      expect(rerun.error?.format()).toBeUndefined();
    }
    const state = await expectReleasedOnce(tag, commit, before);
    expect(state.remoteTag).toBe(pushed);
  }, 120_000);
});
