import { describe, expect, it } from 'vitest';
import type { VerifiedAttestation } from '../attest/verify.js';
import { type ErrorCode, isPhpublishError, PhpublishError } from '../errors/index.js';
import { checkReleaseNames, checkSourceCommit, type ExpectedRelease, furthest, stageOf } from './attestation-check.js';

const digest = { sha256: 'c3'.repeat(32) };
const COMMIT = 'a1'.repeat(20);
const expected: ExpectedRelease = { packageName: 'acme/hello', version: 'v1.2.0', commit: COMMIT, subjects: {} };
const subjects = (...names: string[]) => names.map((name) => ({ name, digest }));

function codeOf(run: () => void): ErrorCode | 'accepted' {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (isPhpublishError(error)) return error.code;
    throw error;
  }
}

describe('checkReleaseNames', () => {
  it('accepts the content subject of this package and version, with or without the v', () => {
    expect(
      codeOf(() => checkReleaseNames(subjects('acme-hello-1.2.0.zip', 'phpublish-tree-v1:acme/hello@1.2.0'), expected)),
    ).toBe('accepted');
    expect(codeOf(() => checkReleaseNames(subjects('phpublish-tree-v1:acme/hello@v1.2.0'), expected))).toBe('accepted');
    expect(codeOf(() => checkReleaseNames(subjects('phpublish-tree-v1:Acme/Hello@1.2.0'), expected))).toBe('accepted');
  });

  it('refuses an attestation of another version of the package (a replay)', () => {
    expect(codeOf(() => checkReleaseNames(subjects('phpublish-tree-v1:acme/hello@1.1.0'), expected))).toBe(
      'VERIFY_ATTESTATION_OTHER_VERSION',
    );
    expect(codeOf(() => checkReleaseNames(subjects('phpublish-tree-v1:acme/hello@1.2.0-beta'), expected))).toBe(
      'VERIFY_ATTESTATION_OTHER_VERSION',
    );
  });

  it('refuses an attestation of another package', () => {
    expect(codeOf(() => checkReleaseNames(subjects('phpublish-tree-v1:acme/hell@1.2.0'), expected))).toBe(
      'VERIFY_ATTESTATION_OTHER_PACKAGE',
    );
  });

  it('refuses statements that name no release, or vouch for more than the release', () => {
    const refused = (...names: string[]) => codeOf(() => checkReleaseNames(subjects(...names), expected));
    // No content subject: nothing says which release the digests are of.
    expect(refused('acme-hello-1.2.0.zip')).toBe('VERIFY_ATTESTATION_SUBJECTS');
    expect(refused()).toBe('VERIFY_ATTESTATION_SUBJECTS');
    // Two content subjects, two zips, or anything else beside them.
    expect(refused('phpublish-tree-v1:acme/hello@1.2.0', 'phpublish-tree-v1:acme/hello@v1.2.0')).toBe(
      'VERIFY_ATTESTATION_SUBJECTS',
    );
    expect(refused('phpublish-tree-v1:acme/hello@1.2.0', 'acme-hello-1.2.0.zip', 'acme-hello-v1.2.0.zip')).toBe(
      'VERIFY_ATTESTATION_SUBJECTS',
    );
    expect(refused('phpublish-tree-v1:acme/hello@1.2.0', 'src/Backdoor.php')).toBe('VERIFY_ATTESTATION_SUBJECTS');
    // Another release's zip beside this release's content.
    expect(refused('phpublish-tree-v1:acme/hello@1.2.0', 'acme-hello-1.1.0.zip')).toBe('VERIFY_ATTESTATION_SUBJECTS');
    // A subject without a usable SHA-256.
    expect(
      codeOf(() =>
        checkReleaseNames(
          [{ name: 'phpublish-tree-v1:acme/hello@1.2.0', digest: { sha1: 'c3'.repeat(20) } }],
          expected,
        ),
      ),
    ).toBe('VERIFY_ATTESTATION_SUBJECTS');
  });
});

describe('checkSourceCommit', () => {
  const attestation = (certified: string | undefined, gitCommits: string[]) =>
    ({
      signer: { subjectAlternativeName: 'x', issuer: 'y', ...(certified ? { sourceRepositoryDigest: certified } : {}) },
      statement: {
        predicate: {
          buildDefinition: {
            resolvedDependencies: gitCommits.map((gitCommit) => ({ uri: 'git+x', digest: { gitCommit } })),
          },
        },
      },
    }) as unknown as VerifiedAttestation;
  const check = (verified: VerifiedAttestation) => codeOf(() => checkSourceCommit(verified, expected));

  it('accepts an attestation made on the release commit, in the certificate and the provenance', () => {
    expect(check(attestation(COMMIT, [COMMIT]))).toBe('accepted');
    expect(check(attestation(COMMIT.toUpperCase(), [COMMIT.toUpperCase()]))).toBe('accepted');
  });

  it('refuses one made on another commit, or that does not say which', () => {
    const other = 'b2'.repeat(20);
    expect(check(attestation(other, [COMMIT]))).toBe('VERIFY_ATTESTATION_OTHER_COMMIT');
    expect(check(attestation(COMMIT, [other]))).toBe('VERIFY_ATTESTATION_OTHER_COMMIT');
    expect(check(attestation(COMMIT, [COMMIT, other]))).toBe('VERIFY_ATTESTATION_OTHER_COMMIT');
    expect(check(attestation(undefined, [COMMIT]))).toBe('VERIFY_ATTESTATION_OTHER_COMMIT');
    expect(check(attestation(COMMIT, []))).toBe('VERIFY_ATTESTATION_OTHER_COMMIT');
    // A prefix of the commit is not the commit.
    expect(check(attestation(COMMIT.slice(0, 12), [COMMIT]))).toBe('VERIFY_ATTESTATION_OTHER_COMMIT');
  });
});

describe('stageOf', () => {
  it('ranks an identity failure whose issuer matched above one whose issuer did not', () => {
    expect(stageOf('ATTEST_WORKFLOW_MISMATCH')).toBeGreaterThan(stageOf('ATTEST_ISSUER_MISMATCH'));
    expect(stageOf('ATTEST_REPOSITORY_MISMATCH')).toBeGreaterThan(stageOf('ATTEST_ISSUER_MISMATCH'));
    expect(stageOf('VERIFY_ATTESTATION_OTHER_COMMIT')).toBeGreaterThan(stageOf('ATTEST_IDENTITY_MISMATCH'));
    expect(stageOf('ATTEST_ISSUER_MISMATCH')).toBeGreaterThan(stageOf('ATTEST_BUNDLE_TAMPERED'));
  });
});

describe('furthest', () => {
  it('prefers the failure that got furthest in the chain, the first of equals', () => {
    const error = (code: 'ATTEST_BUNDLE_MALFORMED' | 'ATTEST_WORKFLOW_MISMATCH' | 'ATTEST_CONTENT_MISMATCH') =>
      code === 'ATTEST_BUNDLE_MALFORMED'
        ? new PhpublishError(code, { problem: 'x' })
        : code === 'ATTEST_WORKFLOW_MISMATCH'
          ? new PhpublishError(code, { expected: 'a', actual: 'b' })
          : new PhpublishError(code, { digest: 'd' });
    const first = error('ATTEST_WORKFLOW_MISMATCH');
    expect(furthest([error('ATTEST_BUNDLE_MALFORMED'), first, error('ATTEST_WORKFLOW_MISMATCH')])).toBe(first);
    expect(furthest([first, error('ATTEST_CONTENT_MISMATCH')])?.code).toBe('ATTEST_CONTENT_MISMATCH');
    expect(furthest([])).toBeUndefined();
  });
});
