/**
 * `phpublish verify` where GitHub's attestations API answers by reference (`"bundle": null` and a
 * pre-signed `bundle_url` serving the bundle snappy-compressed), through the real `main()` against
 * the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import {
  type CliRun,
  explainOnFailure,
  failures,
  type MadeRelease,
  REPOSITORY,
  startVerifyFixture,
  type VerifyFixture,
} from './testing/verify-fixture.js';

let fixture: VerifyFixture;
/** Attested in the attestation store only: no bundle on the release, so verify needs the store. */
let release: MadeRelease;
let last: CliRun | undefined;

beforeAll(async () => {
  fixture = await startVerifyFixture();
  release = await fixture.release('1.0.0', { attest: false });
  await fixture.attestZip(release, { storeReleaseAsset: false });
}, 120_000);
afterAll(async () => {
  fixture.attest.sandbox.github.setAttestationBundles(REPOSITORY, 'inline');
  await fixture?.close();
});

describe('phpublish verify', () => {
  describe.each(['by-reference', 'by-reference-framed'] as const)(
    'when the attestations API lists the bundle %s',
    (shape) => {
      it('finds it, verifies the release, and never sends the GitHub token to the storage host', async () => {
        const github = fixture.attest.sandbox.github;
        github.setAttestationBundles(REPOSITORY, shape);
        const before = github.requests.length;
        const run = await fixture.verify(release.tag);
        last = run;
        explainOnFailure(() => last);
        expect(failures(run.report)).toEqual({});
        expect(run.code).toBe(EXIT.ok);
        const storage = github.requests.slice(before).filter((r) => r.url.includes('/_storage/attestations/'));
        expect(storage.length).toBeGreaterThan(0);
        for (const request of storage) expect(request.headers['authorization']).toBeUndefined();
      });
    },
  );

  describe('when the bundle storage serves something that is not a bundle', () => {
    it('fails the attestation check with a coded error, not a stack trace', async () => {
      const github = fixture.attest.sandbox.github;
      github.setAttestationBundles(REPOSITORY, 'by-reference');
      github.injectFault({
        path: /^\/_storage\/attestations\//,
        times: 10,
        fault: { status: 200, headers: { 'content-type': 'application/x-snappy' }, body: 'not snappy at all' },
      });
      try {
        const run = await fixture.verify(release.tag);
        last = run;
        explainOnFailure(() => last);
        expect(run.code).toBe(EXIT.failed);
        expect(Object.values(failures(run.report))).toContain('REMOTE_ANSWER_MALFORMED');
        expect(run.stderr).not.toMatch(/\n\s+at /);
      } finally {
        github.clearFaults();
      }
    });
  });
});
