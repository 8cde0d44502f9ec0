import { type SandboxSigstore, startSandboxSigstore } from '@phpublish/sandbox';
import {
  type AttestFixture,
  GITHUB_REPOSITORY,
  PACKAGE,
  SUBJECTS,
  startAttestFixture,
  TAG,
  VERSION,
} from '@phpublish/testing/attest';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestRelease } from '../attest/attest-release.js';
import { gitHubActionsPolicy, type IdentityPolicy } from '../attest/identity-policy.js';
import type { SigstoreBundle } from '../attest/sign.js';
import { verifySignedStatementCached } from './cached-checks.js';
import { VerifyCache } from './verify-cache.js';

let fixture: AttestFixture;
let temp: TempDir;
let bundle: SigstoreBundle;
let policy: IdentityPolicy;
let other: SandboxSigstore;

beforeAll(async () => {
  fixture = await startAttestFixture();
  temp = await makeTempDir();
  other = await startSandboxSigstore();
  const run = fixture.gitHubRun();
  ({ bundle } = await attestRelease(
    run.config,
    { release: { packageName: PACKAGE, version: VERSION, tag: TAG }, subjects: SUBJECTS },
    run.deps,
  ));
  policy = gitHubActionsPolicy({
    repository: GITHUB_REPOSITORY,
    workflow: '.github/workflows/release.yml',
    ref: `refs/tags/${TAG}`,
    issuer: fixture.sandbox.githubIssuer.issuer,
  });
});
afterAll(async () => {
  await temp.cleanup();
  await other.close();
  await fixture.close();
});

const root = () => fixture.sandbox.sigstore.trustedRoot as Record<string, unknown>;

describe('when a verified bundle is cached', () => {
  it('reuses it for the same bundle, root, identity and version only; another phpublish version verifies again', async () => {
    const cache = new VerifyCache({ dir: temp.path, phpublishVersion: '1.0.0' });
    const first = await verifySignedStatementCached(cache, { bundle, trustedRoot: root(), policy });
    const again = await verifySignedStatementCached(cache, {
      bundle: JSON.stringify(bundle),
      trustedRoot: root(),
      policy,
    });
    expect(again).toEqual(first);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1, written: 1 });

    const upgraded = new VerifyCache({ dir: temp.path, phpublishVersion: '1.1.0' });
    expect(await verifySignedStatementCached(upgraded, { bundle, trustedRoot: root(), policy })).toEqual(first);
    expect(upgraded.stats).toMatchObject({ hits: 0, misses: 1, written: 1 });
  });

  it('verifies again, and fails, under another identity or another trusted root', async () => {
    const cache = new VerifyCache({ dir: temp.path, phpublishVersion: '1.0.0' });
    await verifySignedStatementCached(cache, { bundle, trustedRoot: root(), policy });
    const written = cache.stats.written;
    const codeOf = (input: Parameters<typeof verifySignedStatementCached>[1]) =>
      verifySignedStatementCached(cache, input).then(
        () => 'verified',
        (error: { code?: string }) => error.code,
      );
    expect(
      await codeOf({ bundle, trustedRoot: root(), policy: { ...policy, workflow: '.github/workflows/ci.yml' } }),
    ).toBe('ATTEST_WORKFLOW_MISMATCH');
    // Another Sigstore instance's root: none of its authorities vouched for the bundle (its
    // timestamps are the first thing checked against them).
    const otherRoot = other.trustedRoot as Record<string, unknown>;
    expect(await codeOf({ bundle, trustedRoot: otherRoot, policy })).toBe('ATTEST_TIMESTAMP_INVALID');
    // Both were looked up and missed, and neither failure was written.
    expect(cache.stats.written).toBe(written);
    expect(cache.stats.misses).toBeGreaterThanOrEqual(2);
  });
});
