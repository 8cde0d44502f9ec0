import {
  type AttestFixture,
  CONTENT_DIGEST,
  GITHUB_REPOSITORY,
  PACKAGE,
  SUBJECTS,
  startAttestFixture,
  TAG,
  VERSION,
  ZIP_SHA256,
} from '@phpublish/testing/attest';
import * as sigstoreCore from '@sigstore/core';
import * as sigstoreVerify from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestRelease } from './attest-release.js';
import { gitHubActionsPolicy } from './identity-policy.js';
import { verifyAttestation } from './verify.js';

/**
 * Every function reachable from the Sigstore libraries' exports (module members, static members,
 * prototype methods and accessors), by a path such as `ASN1Obj.prototype.toDER`: what a runtime
 * patch would have to replace.
 */
function functionsOf(library: Record<string, unknown>): Map<string, unknown> {
  const found = new Map<string, unknown>();
  const walk = (value: unknown, path: string, depth: number) => {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || depth > 3) return;
    for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
      const where = `${path}.${key}`;
      for (const part of [descriptor.value, descriptor.get, descriptor.set]) {
        if (typeof part === 'function') found.set(`${where}${part === descriptor.value ? '' : ':accessor'}`, part);
      }
      if (key === 'prototype' || (typeof descriptor.value === 'object' && descriptor.value !== null)) {
        walk(descriptor.value, where, depth + 1);
      }
    }
  };
  for (const [name, member] of Object.entries(library)) walk(member, name, 0);
  return found;
}

const libraries = { '@sigstore/core': sigstoreCore, '@sigstore/verify': sigstoreVerify };
const published = Object.fromEntries(Object.entries(libraries).map(([name, lib]) => [name, functionsOf(lib)]));

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture();
});
afterAll(async () => {
  await fixture.close();
});

describe('when an attestation is signed and verified', () => {
  it('uses the Sigstore libraries as published: nothing of theirs is replaced, for this caller or any other', async () => {
    // The walk sees the methods a patch used to replace, so a replacement would show.
    expect(published['@sigstore/core']!.has('ASN1Obj.prototype.toDER')).toBe(true);
    expect(published['@sigstore/core']!.has('X509Certificate.prototype.verify')).toBe(true);
    expect(published['@sigstore/core']!.has('X509Certificate.prototype.equals')).toBe(true);

    const run = fixture.gitHubRun();
    const { bundle } = await attestRelease(
      run.config,
      { release: { packageName: PACKAGE, version: VERSION, tag: TAG }, subjects: SUBJECTS },
      run.deps,
    );
    const verified = await verifyAttestation({
      bundle,
      trustedRoot: fixture.sandbox.sigstore.trustedRoot as Record<string, unknown>,
      policy: gitHubActionsPolicy({
        repository: GITHUB_REPOSITORY,
        workflow: '.github/workflows/release.yml',
        ref: `refs/tags/${TAG}`,
        issuer: fixture.sandbox.githubIssuer.issuer,
      }),
      subjects: { zip: { name: 'acme-hello-1.0.0.zip', sha256: ZIP_SHA256 }, contentDigest: CONTENT_DIGEST },
    });
    expect(verified.signer.issuer).toBe(fixture.sandbox.githubIssuer.issuer);

    for (const [name, library] of Object.entries(libraries)) {
      const now = functionsOf(library);
      const replaced = [...published[name]!].filter(([path, fn]) => now.get(path) !== fn).map(([path]) => path);
      const added = [...now.keys()].filter((path) => !published[name]!.has(path));
      expect({ library: name, replaced, added }).toEqual({ library: name, replaced: [], added: [] });
    }
  });
});
