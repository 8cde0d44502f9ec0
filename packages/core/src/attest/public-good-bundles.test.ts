import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startSandboxSigstore } from '@phpublish/sandbox';
import { codeOf } from '@phpublish/testing/errors';
import { beforeAll, describe, expect, it } from 'vitest';
import { gitHubActionsPolicy, type IdentityPolicy } from './identity-policy.js';
import { publicGoodTrustedRoot, type TrustedRootJson } from './trusted-root.js';
import { verifyAttestation, verifySignedStatement } from './verify.js';

/**
 * Real bundles, made in GitHub Actions and signed by Sigstore's public-good instance (see
 * fixtures/README.md), verified with phpublish's own verify path against the real public-good
 * trusted root, offline: the root is the one that ships with @sigstore/tuf, nothing is fetched.
 */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

/** actions/attest, through GitHub's reusable attest workflow, for malancas/attest-demo. */
const ATTEST_ACTION_BUNDLE = fixture('reusable-workflow-attestation.sigstore.json').toString('utf8');
const ATTESTED_WHEEL = {
  name: 'github_provenance_demo-0.0.0-py3-none-any.whl',
  sha256: createHash('sha256').update(fixture('reusable-workflow-artifact.whl')).digest('hex'),
};
const attestActionPolicy = gitHubActionsPolicy({
  repository: 'malancas/attest-demo',
  ref: 'refs/heads/main',
  workflowRepository: 'github/artifact-attestations-workflows',
  workflow: '.github/workflows/attest.yml',
  workflowRef: '09b495c3f12c7881b3cc17209a327792065c1a1d',
});

/** npm's provenance of sigstore@2.1.0, from sigstore/sigstore-js's release workflow. */
const NPM_BUNDLE = fixture('sigstore-js-2.1.0-bundle.json').toString('utf8');
const npmPolicy = gitHubActionsPolicy({
  repository: 'sigstore/sigstore-js',
  workflow: '.github/workflows/release.yml',
  ref: 'refs/heads/main',
});

let root: TrustedRootJson;

beforeAll(async () => {
  // No cache, no refresh: the shipped root, read from disk.
  root = await publicGoodTrustedRoot();
});

// biome-ignore lint/suspicious/noExplicitAny: the tests edit raw bundle JSON, whatever its shape.
type Json = Record<string, any>;

/** The bundle as JSON with `edit` applied: what an attacker can change without the signer's key. */
function edited(text: string, edit: (bundle: Json) => void): string {
  const bundle = JSON.parse(text);
  edit(bundle);
  return JSON.stringify(bundle);
}

function editStatement(bundle: Json, edit: (statement: Json) => void): void {
  const statement = JSON.parse(Buffer.from(bundle['dsseEnvelope'].payload, 'base64').toString('utf8'));
  edit(statement);
  bundle['dsseEnvelope'].payload = Buffer.from(JSON.stringify(statement)).toString('base64');
}

describe('when real public bundles made in GitHub Actions are verified offline', () => {
  it('the public-good root that ships with the dependencies describes the public-good instance', () => {
    const uris = (root['certificateAuthorities'] as { uri: string }[]).map((ca) => ca.uri);
    const logs = (root['tlogs'] as { baseUrl: string }[]).map((log) => log.baseUrl);
    expect(uris).toContain('https://fulcio.sigstore.dev');
    expect(logs).toContain('https://rekor.sigstore.dev');
  });

  it('accepts the attestation made by actions/attest, for its artifact and its real workflow', async () => {
    const verified = await verifyAttestation({
      bundle: ATTEST_ACTION_BUNDLE,
      trustedRoot: root,
      policy: attestActionPolicy,
      subjects: { zip: ATTESTED_WHEEL },
    });
    expect(verified.signer).toMatchObject({
      issuer: 'https://token.actions.githubusercontent.com',
      subjectAlternativeName:
        'https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d',
      sourceRepositoryUri: 'https://github.com/malancas/attest-demo',
      sourceRepositoryRef: 'refs/heads/main',
      sourceRepositoryDigest: '95baf27389e83e6a5c48f42e190d48d7abcea19e',
    });
    expect(verified.statement.predicate.buildDefinition.resolvedDependencies[0]).toMatchObject({
      digest: { gitCommit: '95baf27389e83e6a5c48f42e190d48d7abcea19e' },
    });
  });

  it('accepts npm’s provenance of sigstore@2.1.0 for its release workflow (an older, intoto log entry)', async () => {
    const verified = await verifySignedStatement({ bundle: NPM_BUNDLE, trustedRoot: root, policy: npmPolicy });
    expect(verified.signer.sourceRepositoryUri).toBe('https://github.com/sigstore/sigstore-js');
    expect(verified.statement.subject[0]!.name).toBe('pkg:npm/sigstore@2.1.0');
  });

  it('rejects each real bundle for another identity than the one that signed it', async () => {
    const otherWorkflow: IdentityPolicy = { ...npmPolicy, workflow: '.github/workflows/ci.yml' };
    const otherRepository: IdentityPolicy = { ...attestActionPolicy, repository: 'mallory/attest-demo' };
    const unpinned: IdentityPolicy = { ...attestActionPolicy, workflowRef: 'main' };
    expect(await codeOf(verifySignedStatement({ bundle: NPM_BUNDLE, trustedRoot: root, policy: otherWorkflow }))).toBe(
      'ATTEST_WORKFLOW_MISMATCH',
    );
    expect(
      await codeOf(verifySignedStatement({ bundle: ATTEST_ACTION_BUNDLE, trustedRoot: root, policy: otherRepository })),
    ).toBe('ATTEST_REPOSITORY_MISMATCH');
    expect(
      await codeOf(verifySignedStatement({ bundle: ATTEST_ACTION_BUNDLE, trustedRoot: root, policy: unpinned })),
    ).toBe('ATTEST_WORKFLOW_MISMATCH');
  });

  it('rejects the real attestation for another artifact', async () => {
    const other = { name: ATTESTED_WHEEL.name, sha256: 'ee'.repeat(32) };
    expect(
      await codeOf(
        verifyAttestation({
          bundle: ATTEST_ACTION_BUNDLE,
          trustedRoot: root,
          policy: attestActionPolicy,
          subjects: { zip: other },
        }),
      ),
    ).toBe('ATTEST_ZIP_MISMATCH');
  });
});

describe('when a real public bundle is tampered with', () => {
  const verifyEdited = (edit: (bundle: Json) => void, bundle = ATTEST_ACTION_BUNDLE) =>
    codeOf(verifySignedStatement({ bundle: edited(bundle, edit), trustedRoot: root, policy: attestActionPolicy }));

  it('rejects a statement that vouches for another artifact', async () => {
    const code = await verifyEdited((bundle) =>
      editStatement(bundle, (statement) => {
        statement['subject'][0].digest.sha256 = 'ee'.repeat(32);
      }),
    );
    expect(code).toBe('ATTEST_BUNDLE_TAMPERED');
  });

  it('rejects a statement moved to another commit', async () => {
    const code = await verifyEdited((bundle) =>
      editStatement(bundle, (statement) => {
        statement['predicate'].buildDefinition.resolvedDependencies[0].digest.gitCommit = 'f'.repeat(40);
      }),
    );
    expect(code).toBe('ATTEST_BUNDLE_TAMPERED');
  });

  it('rejects a changed signature', async () => {
    const code = await verifyEdited((bundle) => {
      const signature = Buffer.from(bundle['dsseEnvelope'].signatures[0].sig, 'base64');
      signature[signature.length - 1]! ^= 0x01;
      bundle['dsseEnvelope'].signatures[0].sig = signature.toString('base64');
    });
    expect(code).toBe('ATTEST_BUNDLE_TAMPERED');
  });

  it('rejects a log entry moved to another index (the inclusion proof no longer holds)', async () => {
    const code = await verifyEdited((bundle) => {
      bundle['verificationMaterial'].tlogEntries[0].inclusionProof.logIndex = '96764484';
    });
    expect(code).toBe('ATTEST_TLOG_INVALID');
  });

  it('rejects a bundle without its log entry: the public-good root requires one', async () => {
    const code = await verifyEdited((bundle) => {
      bundle['verificationMaterial'].tlogEntries = [];
    });
    expect(code).toBe('ATTEST_TLOG_INVALID');
  });

  it('rejects the genuine bundle against another instance’s trusted root', async () => {
    const other = await startSandboxSigstore({ tsa: false });
    try {
      expect(
        await codeOf(
          verifySignedStatement({
            bundle: ATTEST_ACTION_BUNDLE,
            trustedRoot: other.trustedRoot,
            policy: attestActionPolicy,
          }),
        ),
      ).toBe('ATTEST_CERTIFICATE_UNTRUSTED');
    } finally {
      await other.close();
    }
  });
});
