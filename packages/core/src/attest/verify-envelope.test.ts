/**
 * Bundles that are validly signed by the release workflow's own identity, but do not carry what an
 * attestation must: a signature over a blob instead of a DSSE envelope, an envelope of another payload
 * type, or a payload that is not an in-toto statement. Each is refused with its code, though its
 * signature, certificate and log entry all verify. Signed with sigstore-js against the sandbox.
 */
import { type AttestFixture, GITHUB_REPOSITORY, startAttestFixture } from '@phpublish/testing/attest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhpublishError } from '../errors/index.js';
import { httpDeps } from './deps.js';
import { obtainIdentityToken } from './id-token.js';
import { gitHubActionsPolicy } from './identity-policy.js';
import { IN_TOTO_PAYLOAD_TYPE } from './statement.js';
import { verifyAttestation } from './verify.js';

let fixture: AttestFixture;
beforeAll(async () => {
  fixture = await startAttestFixture();
});
afterAll(async () => {
  await fixture.close();
});

/** sigstore-js's own signing, with the release workflow's token and the sandbox's services. */
async function signWithSigstore(
  content: { dsse: { payload: string; payloadType: string } } | { blob: string },
): Promise<Record<string, unknown>> {
  const run = fixture.gitHubRun();
  const identity = await obtainIdentityToken({
    platform: 'github-actions',
    env: run.env,
    tokenVariable: 'SIGSTORE_ID_TOKEN',
    http: httpDeps(run.deps, 5),
    redactor: run.deps.redactor,
  });
  const sigstore = await import('sigstore');
  const options = {
    identityToken: identity.token,
    fulcioURL: run.config.fulcioUrl,
    rekorURL: run.config.rekorUrl,
    ...(run.config.tsaUrl ? { tsaServerURL: run.config.tsaUrl } : {}),
  };
  const bundle =
    'blob' in content
      ? await sigstore.sign(Buffer.from(content.blob), options)
      : await sigstore.attest(Buffer.from(content.dsse.payload), content.dsse.payloadType, options);
  return bundle as unknown as Record<string, unknown>;
}

async function refusal(bundle: Record<string, unknown>): Promise<PhpublishError> {
  try {
    await verifyAttestation({
      bundle: bundle as never,
      trustedRoot: fixture.sandbox.sigstore.trustedRoot,
      policy: gitHubActionsPolicy({
        repository: GITHUB_REPOSITORY,
        workflow: '.github/workflows/release.yml',
        ref: 'refs/tags/v1.0.0',
        issuer: fixture.sandbox.githubIssuer.issuer,
      }),
      subjects: { zip: { name: 'acme-hello-1.0.0.zip', sha256: 'a'.repeat(64) } },
    });
  } catch (error) {
    return error as PhpublishError;
  }
  throw new Error('the bundle was accepted');
}

const statementOf = (fields: Record<string, unknown>) =>
  JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'acme-hello-1.0.0.zip', digest: { sha256: 'a'.repeat(64) } }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {},
    ...fields,
  });

describe('when a genuinely signed bundle does not carry a provenance statement', () => {
  it('refuses a signature over a blob (no DSSE envelope) with ATTEST_STATEMENT_INVALID', async () => {
    const error = await refusal(await signWithSigstore({ blob: statementOf({}) }));
    expect(error.code).toBe('ATTEST_STATEMENT_INVALID');
    expect(error.message).toContain('plain signature, not a DSSE envelope');
  });

  it.each([
    ['another payload type', 'text/plain', statementOf({}), 'its payload type is text/plain'],
    ['a payload that is not JSON', IN_TOTO_PAYLOAD_TYPE, 'acme-hello-1.0.0.zip sha256 aaaa', 'its payload is not JSON'],
    [
      'another statement type',
      IN_TOTO_PAYLOAD_TYPE,
      statementOf({ _type: 'https://example.org/x' }),
      'its _type is https://example.org/x',
    ],
    ['no subjects', IN_TOTO_PAYLOAD_TYPE, statementOf({ subject: 'everything' }), 'it has no subjects'],
  ])('refuses an envelope with %s with ATTEST_STATEMENT_INVALID', async (_, payloadType, payload, problem) => {
    const error = await refusal(await signWithSigstore({ dsse: { payload, payloadType } }));
    expect(error.code).toBe('ATTEST_STATEMENT_INVALID');
    expect(error.message).toContain(problem);
  });
});

describe('when the caller gives nothing to compare the statement with', () => {
  it('refuses at once with ATTEST_SUBJECTS_INVALID: a signature alone vouches for no file', async () => {
    const error = await verifyAttestation({
      bundle: '{}',
      trustedRoot: fixture.sandbox.sigstore.trustedRoot,
      policy: gitHubActionsPolicy({ repository: GITHUB_REPOSITORY, workflow: '.github/workflows/release.yml' }),
      subjects: {},
    }).catch((e: unknown) => e as PhpublishError);
    expect(error).toMatchObject({ code: 'ATTEST_SUBJECTS_INVALID' });
  });
});
