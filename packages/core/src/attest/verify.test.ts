import {
  type SandboxOidcIssuer,
  type SandboxSigstore,
  startSandboxOidcIssuer,
  startSandboxSigstore,
} from '@phpublish/sandbox';
import {
  type AttestFixture,
  CONTENT_DIGEST,
  GITHUB_REPOSITORY,
  type Run,
  SUBJECTS,
  startAttestFixture,
  withEnv,
  ZIP_SHA256,
} from '@phpublish/testing/attest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ErrorCode, isPhpublishError } from '../errors/index.js';
import { detectCiPlatform } from './ci.js';
import { httpDeps } from './deps.js';
import { obtainIdentityToken } from './id-token.js';
import { gitHubActionsPolicy, type IdentityPolicy } from './identity-policy.js';
import { provenanceFor } from './provenance.js';
import { type SigstoreBundle, signStatement } from './sign.js';
import { provenanceStatement } from './statement.js';
import { toInTotoSubjects } from './subjects.js';
import { type ExpectedSubjects, verifyAttestation } from './verify.js';

let fixture: AttestFixture;
let otherIssuer: SandboxOidcIssuer;
let rogueSigstore: SandboxSigstore;
/** Signed by the release workflow of acme/hello at refs/tags/v1.0.0: the one that must pass. */
let genuine: SigstoreBundle;

/** Signs the fixture's subjects in a CI run, as attestRelease does, against the given Sigstore. */
async function sign(run: Run, endpoints?: { fulcioUrl: string; rekorUrl: string; tsaUrl?: string }) {
  const platform = detectCiPlatform(run.env)!;
  const http = httpDeps(run.deps, 5);
  const identity = await obtainIdentityToken({
    platform,
    env: run.env,
    tokenVariable: 'SIGSTORE_ID_TOKEN',
    http,
    redactor: run.deps.redactor,
  });
  const statement = provenanceStatement(
    toInTotoSubjects(SUBJECTS),
    provenanceFor(platform, identity.claims, run.env, new Date()),
  );
  return signStatement({
    statement,
    identity,
    endpoints: endpoints ?? {
      fulcioUrl: run.config.fulcioUrl,
      rekorUrl: run.config.rekorUrl,
      ...(run.config.tsaUrl ? { tsaUrl: run.config.tsaUrl } : {}),
    },
    timeoutMs: 5000,
    redactor: run.deps.redactor,
  });
}

function policy(overrides: Partial<IdentityPolicy> = {}): IdentityPolicy {
  return {
    ...gitHubActionsPolicy({
      repository: GITHUB_REPOSITORY,
      workflow: '.github/workflows/release.yml',
      ref: 'refs/tags/v1.0.0',
      issuer: fixture.sandbox.githubIssuer.issuer,
    }),
    ...overrides,
  };
}

const expected: ExpectedSubjects = {
  zip: { name: 'acme-hello-1.0.0.zip', sha256: ZIP_SHA256 },
  contentDigest: CONTENT_DIGEST,
};

async function codeOf(
  bundle: string | SigstoreBundle,
  options: { policy?: IdentityPolicy; subjects?: ExpectedSubjects; trustedRoot?: unknown; timestamps?: number } = {},
): Promise<ErrorCode | 'verified'> {
  try {
    await verifyAttestation({
      bundle,
      trustedRoot: (options.trustedRoot ?? fixture.sandbox.sigstore.trustedRoot) as Record<string, unknown>,
      policy: options.policy ?? policy(),
      subjects: options.subjects ?? expected,
      ...(options.timestamps ? { thresholds: { timestamp: options.timestamps } } : {}),
    });
    return 'verified';
  } catch (error) {
    if (isPhpublishError(error)) return error.code;
    throw error;
  }
}

/** The bundle with its in-toto statement changed by `edit`, signature untouched. */
function withEditedStatement(
  bundle: SigstoreBundle,
  edit: (statement: Record<string, unknown>) => void,
): SigstoreBundle {
  const copy = structuredClone(bundle) as SigstoreBundle & { dsseEnvelope: { payload: string } };
  const statement = JSON.parse(Buffer.from(copy.dsseEnvelope.payload, 'base64').toString('utf8'));
  edit(statement);
  copy.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  return copy;
}

beforeAll(async () => {
  fixture = await startAttestFixture();
  otherIssuer = await startSandboxOidcIssuer();
  // Fulcio also trusts a second GitHub-style issuer (think: a GitHub Enterprise Server) …
  fixture.sandbox.sigstore.trustIssuer({
    issuer: otherIssuer.issuer,
    provider: 'github-workflow',
    serverUrl: 'https://github.com',
  });
  // … and a second Sigstore, with its own CA, that the trusted root does not describe.
  rogueSigstore = await startSandboxSigstore({
    tsa: false,
    issuers: [
      { issuer: fixture.sandbox.githubIssuer.issuer, provider: 'github-workflow', serverUrl: 'https://github.com' },
    ],
  });
  genuine = await sign(fixture.gitHubRun());
});

afterAll(async () => {
  await rogueSigstore.close();
  await otherIssuer.close();
  await fixture.close();
});

describe('verifyAttestation', () => {
  describe('when the bundle is what the release workflow signed', () => {
    it('accepts it, offline, with the trusted root, the exact identity and both subjects', async () => {
      expect(await codeOf(genuine, { timestamps: 2 })).toBe('verified');
      expect(await codeOf(JSON.stringify(genuine))).toBe('verified');
    });

    it('accepts it with only the zip, or only the content digest', async () => {
      expect(await codeOf(genuine, { subjects: { zip: expected.zip! } })).toBe('verified');
      expect(await codeOf(genuine, { subjects: { contentDigest: CONTENT_DIGEST } })).toBe('verified');
    });
  });

  describe('when something does not match (each rejection has its own code)', () => {
    it('rejects another identity: the same workflow run for a branch, not the release tag', async () => {
      const branchBuild = await sign(fixture.gitHubRun({ ref: 'refs/heads/main' }));
      expect(await codeOf(branchBuild)).toBe('ATTEST_IDENTITY_MISMATCH');
    });

    it('rejects another repository', async () => {
      const other = await sign(fixture.gitHubRun({ repository: 'mallory/hello' }, { config: {} }));
      expect(await codeOf(other)).toBe('ATTEST_REPOSITORY_MISMATCH');
    });

    it('rejects another workflow of the same repository', async () => {
      const ci = await sign(fixture.gitHubRun({ workflowPath: '.github/workflows/ci.yml' }));
      expect(await codeOf(ci)).toBe('ATTEST_WORKFLOW_MISMATCH');
    });

    it('rejects an identity from another OIDC issuer', async () => {
      const job = otherIssuer.gitHubActionsJob({ repository: GITHUB_REPOSITORY });
      const run = fixture.gitHubRun();
      const elsewhere = await sign(withEnv(run, { ...run.env, ...job.env }));
      expect(await codeOf(elsewhere)).toBe('ATTEST_ISSUER_MISMATCH');
    });

    it('rejects a swapped zip', async () => {
      const swapped = { zip: { name: 'acme-hello-1.0.0.zip', sha256: 'ee'.repeat(32) } };
      expect(await codeOf(genuine, { subjects: swapped })).toBe('ATTEST_ZIP_MISMATCH');
    });

    it('rejects other contents', async () => {
      const other = { contentDigest: `phpublish-tree-v1:sha256:${'dd'.repeat(32)}` };
      expect(await codeOf(genuine, { subjects: other })).toBe('ATTEST_CONTENT_MISMATCH');
    });

    it('rejects an edited statement', async () => {
      const edited = withEditedStatement(genuine, (statement) => {
        (statement['subject'] as { digest: { sha256: string } }[])[0]!.digest.sha256 = 'ee'.repeat(32);
      });
      expect(await codeOf(edited, { subjects: { zip: { name: 'x.zip', sha256: 'ee'.repeat(32) } } })).toBe(
        'ATTEST_BUNDLE_TAMPERED',
      );
    });

    it('rejects a truncated bundle', async () => {
      const text = JSON.stringify(genuine);
      expect(await codeOf(text.slice(0, Math.floor(text.length * 0.6)))).toBe('ATTEST_BUNDLE_MALFORMED');
    });

    it('rejects a bundle signed by a certificate that does not chain to the trusted root', async () => {
      const rogue = await sign(fixture.gitHubRun(), {
        fulcioUrl: rogueSigstore.fulcioUrl,
        rekorUrl: fixture.sandbox.sigstore.rekorUrl,
      });
      expect(await codeOf(rogue)).toBe('ATTEST_CERTIFICATE_UNTRUSTED');
      // It is a well-formed attestation for its own trusted root: only trust is missing.
      expect(
        await codeOf(rogue, {
          trustedRoot: { ...rogueSigstore.trustedRoot, tlogs: fixture.sandbox.sigstore.trustedRoot['tlogs'] },
        }),
      ).toBe('verified');
    });

    it('rejects a transparency-log proof that does not verify', async () => {
      const copy = structuredClone(genuine) as SigstoreBundle & {
        verificationMaterial: { tlogEntries: { inclusionProof: { hashes: string[] } }[] };
      };
      // Another sibling in the Merkle path: the computed root no longer matches the signed checkpoint.
      copy.verificationMaterial.tlogEntries[0]!.inclusionProof.hashes = [Buffer.alloc(32, 7).toString('base64')];
      expect(await codeOf(copy)).toBe('ATTEST_TLOG_INVALID');
    });

    it('rejects a bundle with fewer verified timestamps than required', async () => {
      expect(await codeOf(genuine, { timestamps: 3 })).toBe('ATTEST_TIMESTAMP_INVALID');
    });

    it('rejects a signed statement that is not SLSA provenance', async () => {
      const run = fixture.gitHubRun();
      const platform = detectCiPlatform(run.env)!;
      const identity = await obtainIdentityToken({
        platform,
        env: run.env,
        tokenVariable: 'SIGSTORE_ID_TOKEN',
        http: httpDeps(run.deps, 5),
        redactor: run.deps.redactor,
      });
      const statement = {
        ...provenanceStatement(
          toInTotoSubjects(SUBJECTS),
          provenanceFor(platform, identity.claims, run.env, new Date()),
        ),
        predicateType: 'https://example.com/not-provenance',
      };
      const other = await signStatement({
        statement: statement as never,
        identity,
        endpoints: { fulcioUrl: run.config.fulcioUrl, rekorUrl: run.config.rekorUrl },
        timeoutMs: 5000,
        redactor: run.deps.redactor,
      });
      expect(await codeOf(other)).toBe('ATTEST_STATEMENT_INVALID');
    });

    it('refuses a trusted root that describes no certificate authority', async () => {
      expect(await codeOf(genuine, { trustedRoot: { mediaType: 'x', certificateAuthorities: [] } })).toBe(
        'ATTEST_TRUSTED_ROOT_INVALID',
      );
    });
  });

  describe('when the policy names the identity in a different case', () => {
    it('compares repository names without case, and workflow paths exactly', async () => {
      expect(await codeOf(genuine, { policy: policy({ repository: 'ACME/Hello' }) })).toBe('verified');
      expect(await codeOf(genuine, { policy: policy({ workflow: '.github/workflows/Release.yml' }) })).toBe(
        'ATTEST_WORKFLOW_MISMATCH',
      );
      // A prefix is not a match (no unanchored patterns).
      expect(await codeOf(genuine, { policy: policy({ repository: 'acme/hell' }) })).toBe('ATTEST_REPOSITORY_MISMATCH');
      expect(await codeOf(genuine, { policy: policy({ refs: ['refs/tags/v1.0'] }) })).toBe('ATTEST_IDENTITY_MISMATCH');
      // One of several allowed refs is enough.
      expect(await codeOf(genuine, { policy: policy({ refs: ['refs/heads/main', 'refs/tags/v1.0.0'] }) })).toBe(
        'verified',
      );
    });
  });
});
