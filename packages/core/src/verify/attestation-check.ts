import type { IdentityPolicy } from '../attest/identity-policy.js';
import type { SigstoreBundle } from '../attest/sign.js';
import { claimedSubjects } from '../attest/stored-bundle.js';
import type { Subject } from '../attest/subjects.js';
import type { TrustedRootJson } from '../attest/trusted-root.js';
import { type ExpectedSubjects, type VerifiedAttestation, verifyAttestation } from '../attest/verify.js';
import { type ErrorCode, isPhpublishError, PhpublishError } from '../errors/index.js';
import { versionNames } from './attestation-sources.js';

/** The release an attestation must be for, and what it must cover. */
export interface ExpectedRelease {
  packageName: string;
  /** The version as written (`v1.2.0`); the attestation may name it with or without the `v`. */
  version: string;
  subjects: ExpectedSubjects;
}

export interface AcceptedAttestation extends VerifiedAttestation {
  where: string;
  identity: IdentityPolicy;
}

/** Codes that mean: authentic, from the right identity, for this release, but not for these files. */
export const CONTENT_CODES: ReadonlySet<ErrorCode> = new Set(['ATTEST_CONTENT_MISMATCH', 'ATTEST_ZIP_MISMATCH']);

/** How far a candidate got before it failed: the failure of the one that got furthest is reported. */
export function stageOf(code: ErrorCode): number {
  if (CONTENT_CODES.has(code)) return 4;
  if (code === 'VERIFY_ATTESTATION_OTHER_VERSION' || code === 'VERIFY_ATTESTATION_OTHER_PACKAGE') return 3;
  if (
    code === 'ATTEST_ISSUER_MISMATCH' ||
    code === 'ATTEST_REPOSITORY_MISMATCH' ||
    code === 'ATTEST_WORKFLOW_MISMATCH' ||
    code === 'ATTEST_IDENTITY_MISMATCH'
  ) {
    return 2;
  }
  return 1;
}

const CONTENT_SUBJECT = /^(phpublish-tree-v\d+):(.+)@([^@]+)$/;

/**
 * The content subject names the package and version it was made for
 * (`phpublish-tree-v1:acme/hello@1.2.0`): an authentic attestation of another release, replayed
 * for this one, fails here with its own code. Subjects without such a name are left to the digests.
 */
export function checkReleaseNames(subjects: readonly Subject[], expected: ExpectedRelease): void {
  const named = subjects.flatMap((subject) => {
    const match = CONTENT_SUBJECT.exec(subject.name ?? '');
    return match ? [{ packageName: match[2]!.toLowerCase(), version: match[3]! }] : [];
  });
  if (named.length === 0) return;
  const packageName = expected.packageName.toLowerCase();
  const versions = versionNames(expected.version);
  if (named.some((n) => n.packageName === packageName && versions.includes(n.version))) return;
  const samePackage = named.find((n) => n.packageName === packageName);
  const params = { packageName: expected.packageName, version: expected.version };
  if (samePackage) {
    throw new PhpublishError('VERIFY_ATTESTATION_OTHER_VERSION', { ...params, attested: samePackage.version });
  }
  throw new PhpublishError('VERIFY_ATTESTATION_OTHER_PACKAGE', {
    ...params,
    attested: `${named[0]!.packageName} ${named[0]!.version}`,
  });
}

async function verifyCandidate(
  bundle: string | SigstoreBundle,
  input: { trustedRoot: TrustedRootJson; identity: IdentityPolicy; expected: ExpectedRelease },
): Promise<VerifiedAttestation> {
  try {
    const verified = await verifyAttestation({
      bundle,
      trustedRoot: input.trustedRoot,
      policy: input.identity,
      subjects: input.expected.subjects,
    });
    checkReleaseNames(verified.statement.subject, input.expected);
    return verified;
  } catch (error) {
    if (isPhpublishError(error) && CONTENT_CODES.has(error.code)) {
      // Subjects are checked last: the signature, the log proof and the identity have verified, so
      // the statement is the release workflow's own. Which release it names comes before the digests.
      const parsed = typeof bundle === 'string' ? (JSON.parse(bundle) as unknown) : bundle;
      checkReleaseNames(claimedSubjects(parsed) ?? [], input.expected);
    }
    throw error;
  }
}

/** Of several candidates' failures, the one that got furthest; the first of equals. */
export function furthest(errors: readonly PhpublishError[]): PhpublishError | undefined {
  return errors.reduce<PhpublishError | undefined>(
    (best, error) => (!best || stageOf(error.code) > stageOf(best.code) ? error : best),
    undefined,
  );
}

/**
 * Tries every bundle found against every identity the policy allows; the first that verifies
 * completely is accepted. Otherwise the failure of the candidate that got furthest is thrown
 * (identity problems say more than a broken bundle; another version more than another workflow).
 */
export async function acceptAttestation(input: {
  bundles: readonly { bundle: string | SigstoreBundle; where: string }[];
  identities: readonly IdentityPolicy[];
  trustedRoot: TrustedRootJson;
  expected: ExpectedRelease;
}): Promise<AcceptedAttestation> {
  let best: PhpublishError | undefined;
  for (const { bundle, where } of input.bundles) {
    for (const identity of input.identities) {
      try {
        const verified = await verifyCandidate(bundle, {
          trustedRoot: input.trustedRoot,
          identity,
          expected: input.expected,
        });
        return { ...verified, where, identity };
      } catch (error) {
        if (!isPhpublishError(error)) throw error;
        if (!best || stageOf(error.code) > stageOf(best.code)) best = error;
        // A broken bundle is broken for every identity.
        if (stageOf(error.code) === 1) break;
      }
    }
  }
  if (!best) throw new Error('acceptAttestation needs at least one bundle and one identity');
  throw best;
}
