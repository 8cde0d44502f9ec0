/**
 * Fulcio writes each identity extension as a DER UTF8String, whose length takes more than one byte
 * from 128 bytes on. A release workflow with a long path must verify, and a policy for a workflow
 * whose path is only a prefix of the signer's must not.
 */
import {
  type AttestFixture,
  CONTENT_DIGEST,
  GITHUB_REPOSITORY,
  SUBJECTS,
  startAttestFixture,
  ZIP_SHA256,
} from '@phpublish/testing/attest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpDeps } from './deps.js';
import { obtainIdentityToken } from './id-token.js';
import { gitHubActionsPolicy } from './identity-policy.js';
import { provenanceFor } from './provenance.js';
import { type SigstoreBundle, signStatement } from './sign.js';
import { provenanceStatement } from './statement.js';
import { toInTotoSubjects } from './subjects.js';
import { verifyAttestation } from './verify.js';

/** 190 characters: every extension naming the workflow is longer than 127 bytes. */
const LONG_WORKFLOW = `.github/workflows/${'release-of-the-package-with-a-long-name-'.repeat(4)}and-more.yml`;

let fixture: AttestFixture;
let bundle: SigstoreBundle;

beforeAll(async () => {
  fixture = await startAttestFixture();
  const run = fixture.gitHubRun({ workflowPath: LONG_WORKFLOW });
  const identity = await obtainIdentityToken({
    platform: 'github-actions',
    env: run.env,
    tokenVariable: 'SIGSTORE_ID_TOKEN',
    http: httpDeps(run.deps, 5),
    redactor: run.deps.redactor,
  });
  bundle = await signStatement({
    statement: provenanceStatement(
      toInTotoSubjects(SUBJECTS),
      provenanceFor('github-actions', identity.claims, run.env, new Date()),
    ),
    identity,
    endpoints: { fulcioUrl: run.config.fulcioUrl, rekorUrl: run.config.rekorUrl! },
    timeoutMs: 5000,
    redactor: run.deps.redactor,
  });
});
afterAll(async () => {
  await fixture.close();
});

const verify = (workflow: string) =>
  verifyAttestation({
    bundle,
    trustedRoot: fixture.sandbox.sigstore.trustedRoot,
    policy: gitHubActionsPolicy({
      repository: GITHUB_REPOSITORY,
      workflow,
      ref: 'refs/tags/v1.0.0',
      issuer: fixture.sandbox.githubIssuer.issuer,
    }),
    subjects: { zip: { name: 'acme-hello-1.0.0.zip', sha256: ZIP_SHA256 }, contentDigest: CONTENT_DIGEST },
  });

describe('when the release workflow’s path is long', () => {
  it('reads the whole signer identity from the certificate and verifies', async () => {
    const { signer } = await verify(LONG_WORKFLOW);
    expect(signer.buildSignerUri).toBe(`https://github.com/${GITHUB_REPOSITORY}/${LONG_WORKFLOW}@refs/tags/v1.0.0`);
    expect(signer.buildSignerUri!.length).toBeGreaterThan(127);
    expect(signer.sourceRepositoryRef).toBe('refs/tags/v1.0.0');
  });

  it('refuses a policy naming a workflow that is only the start of the signer’s path', async () => {
    await expect(verify(LONG_WORKFLOW.slice(0, 140))).rejects.toMatchObject({ code: 'ATTEST_WORKFLOW_MISMATCH' });
  });
});
