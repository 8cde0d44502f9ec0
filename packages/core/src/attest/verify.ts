import { type ErrorCode, PhpublishError } from '../errors/index.js';
import { type SignerIdentity, signerIdentity } from './certificate-identity.js';
import { checkIdentity, type IdentityPolicy } from './identity-policy.js';
import type { SigstoreBundle } from './sign.js';
import {
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  type ProvenanceStatement,
  SLSA_PROVENANCE_V1,
} from './statement.js';
import { parseContentDigest } from './subjects.js';
import { type TrustedRootJson, trustMaterialFrom } from './trusted-root.js';

/** What the attestation must cover; at least one of them. */
export interface ExpectedSubjects {
  /** The zip as downloaded: its name (for messages) and SHA-256. */
  zip?: { name: string; sha256: string };
  /** The content-tree digest of what would be installed: `phpublish-tree-v1:sha256:<hex>`. */
  contentDigest?: string;
}

export interface VerifyAttestationInput {
  /** The bundle: its JSON text as downloaded, or parsed. */
  bundle: string | SigstoreBundle;
  /** The trusted root of the Sigstore instance (for the public one: `publicGoodTrustedRoot()`). */
  trustedRoot: string | TrustedRootJson;
  policy: IdentityPolicy;
  subjects: ExpectedSubjects;
  /**
   * How many verified transparency-log entries, SCTs and timestamps are required. By default what the
   * trusted root's instance provides: 1 log entry and 1 SCT when it lists a log and a CT log (the
   * public-good instance), none when it lists none (GitHub's instance for private repositories, whose
   * bundles carry a signed timestamp instead); 1 timestamp always.
   */
  thresholds?: { tlog?: number; ctlog?: number; timestamp?: number };
}

export interface VerifiedAttestation {
  statement: ProvenanceStatement;
  signer: SignerIdentity;
}

/** @sigstore/verify's failure codes → ours. Anything else means the bundle could not be read. */
const VERIFICATION_CODES: Record<string, ErrorCode> = {
  CERTIFICATE_ERROR: 'ATTEST_CERTIFICATE_UNTRUSTED',
  PUBLIC_KEY_ERROR: 'ATTEST_CERTIFICATE_UNTRUSTED',
  SIGNATURE_ERROR: 'ATTEST_BUNDLE_TAMPERED',
  // The log's record of the envelope no longer matches it: the statement or signature was changed.
  TLOG_BODY_ERROR: 'ATTEST_BUNDLE_TAMPERED',
  TLOG_ERROR: 'ATTEST_TLOG_INVALID',
  TLOG_INCLUSION_PROOF_ERROR: 'ATTEST_TLOG_INVALID',
  TLOG_INCLUSION_PROMISE_ERROR: 'ATTEST_TLOG_INVALID',
  TLOG_MISSING_INCLUSION_ERROR: 'ATTEST_TLOG_INVALID',
  TIMESTAMP_ERROR: 'ATTEST_TIMESTAMP_INVALID',
};

/**
 * Verifies an attestation offline against a trusted root: the signature, the certificate chain and its
 * SCT, the transparency-log proof and the timestamps (@sigstore/verify); then the signer against the
 * identity policy (exact comparisons), then that the statement's subjects cover the given zip and
 * content. Each failure is a PhpublishError with its own code.
 */
export async function verifyAttestation(input: VerifyAttestationInput): Promise<VerifiedAttestation> {
  if (!input.subjects.zip && !input.subjects.contentDigest) {
    throw new PhpublishError('ATTEST_SUBJECTS_INVALID', { problem: 'neither a zip nor a content digest to verify' });
  }
  const verified = await verifySignedStatement(input);
  checkSubjects(verified.statement, input.subjects);
  return verified;
}

/**
 * The first half of verifyAttestation: the bundle is authentic (signature, certificate chain, log
 * proof, timestamps) and signed by the policy's identity. What it vouches for is left to the caller,
 * which may have more to check (the release it names, the commit it was made on) before the digests.
 */
export async function verifySignedStatement(
  input: Omit<VerifyAttestationInput, 'subjects'>,
): Promise<VerifiedAttestation> {
  const trustMaterial = await trustMaterialFrom(input.trustedRoot);
  const [{ bundleFromJSON }, { Verifier, toSignedEntity, VerificationError }] = await Promise.all([
    import('@sigstore/bundle'),
    import('@sigstore/verify'),
  ]);

  const json = parseBundleJson(input.bundle);
  let bundle: ReturnType<typeof bundleFromJSON>;
  try {
    bundle = bundleFromJSON(json);
  } catch (error) {
    throw malformed((error as Error).message, error);
  }
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw new PhpublishError('ATTEST_STATEMENT_INVALID', {
      problem: 'the bundle holds a plain signature, not a DSSE envelope',
    });
  }

  // The root decides, never the bundle: a bundle that leaves out its log entry is still held to
  // the log of a root that has one.
  const thresholds = {
    tlogThreshold: input.thresholds?.tlog ?? (trustMaterial.tlogs.length > 0 ? 1 : 0),
    ctlogThreshold: input.thresholds?.ctlog ?? (trustMaterial.ctlogs.length > 0 ? 1 : 0),
    timestampThreshold: input.thresholds?.timestamp ?? 1,
  };
  // A bundle checked against another instance's root, said plainly (otherwise it surfaces as a
  // missing timestamp): typically GitHub's instance for private repositories (no log) and the public-good one.
  const logged = bundle.verificationMaterial.tlogEntries.length > 0;
  if (thresholds.tlogThreshold > 0 && !logged) {
    throw new PhpublishError('ATTEST_TLOG_INVALID', {
      problem:
        'the bundle has no transparency-log entry, and the trusted root’s instance logs every signature (a bundle of GitHub’s instance for private repositories needs GitHub’s trusted root)',
    });
  }
  if (trustMaterial.tlogs.length === 0 && logged) {
    throw new PhpublishError('ATTEST_TLOG_INVALID', {
      problem:
        'the bundle was recorded in a transparency log, and the trusted root lists none: it was signed by another Sigstore instance (a public repository’s bundle needs the public-good trusted root)',
    });
  }

  let identity: Parameters<typeof signerIdentity>[0];
  try {
    const verifier = new Verifier(trustMaterial, thresholds);
    identity = withoutStackTraces(() => verifier.verify(toSignedEntity(bundle))).identity ?? {};
  } catch (error) {
    if (error instanceof VerificationError) {
      const code = VERIFICATION_CODES[error.code] ?? 'ATTEST_BUNDLE_MALFORMED';
      throw new PhpublishError(code as 'ATTEST_BUNDLE_MALFORMED', { problem: error.message }, { cause: error });
    }
    throw malformed((error as Error).message ?? String(error), error);
  }

  const envelope = bundle.content.dsseEnvelope;
  const statement = readStatement(envelope.payloadType, envelope.payload);
  const signer = signerIdentity(identity);
  checkIdentity(signer, input.policy);
  return { statement, signer };
}

/**
 * Runs `work` (synchronous) with no stack traces captured for the errors created meanwhile.
 * @sigstore/core's ASN.1 parser tries every OCTET STRING of a certificate as nested ASN.1 and
 * throws and catches an error for each that is not: capturing their stacks was a tenth of a
 * bundle's verification. Errors that escape become coded errors; their messages are kept.
 *
 * `Error.stackTraceLimit` is process-wide, but `work` is synchronous (Verifier.verify returns its
 * Signer, no promise): no other JavaScript can run between setting the limit and restoring it in
 * `finally`, so only the errors created inside `work` go without stacks. Never pass async work.
 */
function withoutStackTraces<T>(work: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return work();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function parseBundleJson(bundle: string | SigstoreBundle): unknown {
  if (typeof bundle !== 'string') return bundle;
  try {
    return JSON.parse(bundle);
  } catch (error) {
    throw malformed(`it is not complete JSON (${bundle.length} characters)`, error);
  }
}

const malformed = (problem: string, cause: unknown) =>
  new PhpublishError('ATTEST_BUNDLE_MALFORMED', { problem: problem.split('\n')[0]! }, { cause });

/** The in-toto statement in a verified envelope, checked to be SLSA v1 provenance. */
function readStatement(payloadType: string, payload: Buffer): ProvenanceStatement {
  const invalid = (problem: string) => new PhpublishError('ATTEST_STATEMENT_INVALID', { problem });
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) throw invalid(`its payload type is ${payloadType}`);
  let statement: Partial<ProvenanceStatement>;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    throw invalid('its payload is not JSON');
  }
  if (statement._type !== IN_TOTO_STATEMENT_TYPE) throw invalid(`its _type is ${String(statement._type)}`);
  if (statement.predicateType !== SLSA_PROVENANCE_V1)
    throw invalid(`its predicate type is ${String(statement.predicateType)}`);
  if (!Array.isArray(statement.subject)) throw invalid('it has no subjects');
  return statement as ProvenanceStatement;
}

/** That the statement's subjects cover the zip and the content given (each by its digest). */
export function checkSubjects(statement: ProvenanceStatement, expected: ExpectedSubjects): void {
  const subjects = statement.subject;
  if (expected.zip) {
    const sha256 = expected.zip.sha256.toLowerCase();
    if (!subjects.some((subject) => subject.digest?.['sha256'] === sha256)) {
      throw new PhpublishError('ATTEST_ZIP_MISMATCH', { name: expected.zip.name, sha256 });
    }
  }
  if (expected.contentDigest) {
    const { format, sha256 } = parseContentDigest(expected.contentDigest);
    const covered = subjects.some(
      (subject) => subject.name?.startsWith(`${format}:`) && subject.digest?.['sha256'] === sha256,
    );
    if (!covered) throw new PhpublishError('ATTEST_CONTENT_MISMATCH', { digest: expected.contentDigest });
  }
}
