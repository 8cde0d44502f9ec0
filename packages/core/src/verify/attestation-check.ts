import type { IdentityPolicy } from '../attest/identity-policy.js';
import type { SigstoreBundle } from '../attest/sign.js';
import { releaseFileNames, type Subject } from '../attest/subjects.js';
import type { TrustedRootJson } from '../attest/trusted-root.js';
import { checkSubjects, type ExpectedSubjects, type VerifiedAttestation } from '../attest/verify.js';
import { type ErrorCode, isPhpublishError, PhpublishError } from '../errors/index.js';
import { versionNames } from './attestation-sources.js';
import { verifySignedStatementCached } from './cached-checks.js';
import type { VerifyCache } from './verify-cache.js';

/** The release an attestation must be for, and what it must cover. */
export interface ExpectedRelease {
  packageName: string;
  /** The version as written (`v1.2.0`); the attestation may name it with or without the `v`. */
  version: string;
  /**
   * The commit that would be installed (the one the signed tag must point at): the attestation
   * must have been made on it.
   */
  commit: string;
  subjects: ExpectedSubjects;
}

export interface AcceptedAttestation extends VerifiedAttestation {
  where: string;
  identity: IdentityPolicy;
}

/** Codes that mean: authentic, from the right identity, for this release, but not for these files. */
export const CONTENT_CODES: ReadonlySet<ErrorCode> = new Set(['ATTEST_CONTENT_MISMATCH', 'ATTEST_ZIP_MISMATCH']);

/** Codes that mean: authentic and from the right identity, but made for another release or commit. */
const RELEASE_CODES: ReadonlySet<ErrorCode> = new Set([
  'VERIFY_ATTESTATION_OTHER_VERSION',
  'VERIFY_ATTESTATION_OTHER_PACKAGE',
  'VERIFY_ATTESTATION_OTHER_COMMIT',
  'VERIFY_ATTESTATION_SUBJECTS',
]);

/** Identity failures in the order checkIdentity reaches them: a later one got further. */
const IDENTITY_CODES: readonly ErrorCode[] = [
  'ATTEST_ISSUER_MISMATCH',
  'ATTEST_REPOSITORY_MISMATCH',
  'ATTEST_WORKFLOW_MISMATCH',
  'ATTEST_IDENTITY_MISMATCH',
];

/**
 * How far a candidate got before it failed: the failure of the one that got furthest is reported.
 * Within identity failures, one whose issuer matched got further than one whose issuer did not: a
 * GitLab bundle tried against a policy's GitHub and GitLab identities reports the GitLab mismatch.
 */
export function stageOf(code: ErrorCode): number {
  if (CONTENT_CODES.has(code)) return 4;
  if (RELEASE_CODES.has(code)) return 3;
  const identity = IDENTITY_CODES.indexOf(code);
  if (identity !== -1) return 2 + identity / IDENTITY_CODES.length;
  return 1;
}

const CONTENT_SUBJECT = /^(phpublish-tree-v\d+):(.+)@([^@]+)$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const GIT_COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Every subject must describe this release: exactly one content subject, named for this package
 * and version (`phpublish-tree-v1:acme/hello@1.2.0`), and at most the release zip besides, under
 * its release name. An authentic attestation of another release, replayed for this one, fails
 * here with its own code; so does one that vouches for more than the release.
 */
export function checkReleaseNames(subjects: readonly Subject[], expected: ExpectedRelease): void {
  const params = { packageName: expected.packageName, version: expected.version };
  const unusable = (problem: string) => new PhpublishError('VERIFY_ATTESTATION_SUBJECTS', { ...params, problem });
  const versions = versionNames(expected.version);
  const packageName = expected.packageName.toLowerCase();
  const zipNames = new Set(versions.map((version) => releaseFileNames(expected.packageName, version).zip));

  const content: { packageName: string; version: string }[] = [];
  const others: string[] = [];
  for (const subject of subjects) {
    const name = typeof subject?.name === 'string' ? subject.name : '';
    const sha256 = subject?.digest?.['sha256'];
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
      throw unusable(`the subject "${name}" has no SHA-256 digest`);
    }
    const match = CONTENT_SUBJECT.exec(name);
    if (match) content.push({ packageName: match[2]!.toLowerCase(), version: match[3]! });
    else others.push(name);
  }
  if (content.length === 0) throw unusable('no subject names the content of a release');
  if (content.length > 1) throw unusable(`${content.length} subjects name the content of a release`);
  // Which release it names first: a replayed attestation of another version says that, whatever else it holds.
  const [named] = content as [{ packageName: string; version: string }];
  if (named.packageName !== packageName) {
    throw new PhpublishError('VERIFY_ATTESTATION_OTHER_PACKAGE', {
      ...params,
      attested: `${named.packageName} ${named.version}`,
    });
  }
  if (!versions.includes(named.version)) {
    throw new PhpublishError('VERIFY_ATTESTATION_OTHER_VERSION', { ...params, attested: named.version });
  }
  const stranger = others.find((name) => !zipNames.has(name));
  if (stranger !== undefined) {
    throw unusable(`it also vouches for "${stranger}", which is neither the release's content nor its zip`);
  }
  if (others.length > 1) throw unusable('more than one subject names the release zip');
}

/**
 * The attestation must have been made on the release's commit, as the certificate says (Fulcio's
 * Source Repository Digest, from the CI's own token) and as the provenance says (its resolved
 * dependencies' git commits). Without this, anyone who can run the release workflow on a commit of
 * their own gets a genuine attestation of their content, which a later release could be served with.
 */
export function checkSourceCommit(verified: VerifiedAttestation, expected: ExpectedRelease): void {
  const commit = expected.commit.toLowerCase();
  const otherCommit = (attested: string, where: string) =>
    new PhpublishError('VERIFY_ATTESTATION_OTHER_COMMIT', {
      packageName: expected.packageName,
      version: expected.version,
      commit: expected.commit,
      attested,
      where,
    });
  const certified = verified.signer.sourceRepositoryDigest?.toLowerCase();
  if (!certified || !GIT_COMMIT.test(certified) || certified !== commit) {
    throw otherCommit(certified || '(none)', 'the signing certificate’s source repository digest');
  }
  const dependencies = verified.statement.predicate?.buildDefinition?.resolvedDependencies;
  const commits = Array.isArray(dependencies)
    ? dependencies.flatMap((dependency) => {
        const gitCommit = dependency?.digest?.['gitCommit'];
        return typeof gitCommit === 'string' ? [gitCommit] : [];
      })
    : [];
  const other = commits.find((gitCommit) => gitCommit.toLowerCase() !== commit);
  if (commits.length === 0 || other !== undefined) {
    throw otherCommit(other ?? '(none)', 'the provenance’s resolved dependencies');
  }
}

async function verifyCandidate(
  bundle: string | SigstoreBundle,
  input: { trustedRoot: TrustedRootJson; identity: IdentityPolicy; expected: ExpectedRelease; cache?: VerifyCache },
): Promise<VerifiedAttestation> {
  // Authentic and from the policy's identity; then for this release, made on its commit; then the
  // digests of what would be installed. Each stage has its own codes (see stageOf). Only the first
  // stage may come from the cache: the others compare with this release and are always done.
  const verified = await verifySignedStatementCached(input.cache, {
    bundle,
    trustedRoot: input.trustedRoot,
    policy: input.identity,
  });
  checkReleaseNames(verified.statement.subject, input.expected);
  checkSourceCommit(verified, input.expected);
  checkSubjects(verified.statement, input.expected.subjects);
  return verified;
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
  cache?: VerifyCache;
}): Promise<AcceptedAttestation> {
  let best: PhpublishError | undefined;
  for (const { bundle, where } of input.bundles) {
    for (const identity of input.identities) {
      try {
        const verified = await verifyCandidate(bundle, {
          trustedRoot: input.trustedRoot,
          identity,
          expected: input.expected,
          ...(input.cache ? { cache: input.cache } : {}),
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
