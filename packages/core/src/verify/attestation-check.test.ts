import { describe, expect, it } from 'vitest';
import { type ErrorCode, isPhpublishError, PhpublishError } from '../errors/index.js';
import { checkReleaseNames, type ExpectedRelease, furthest } from './attestation-check.js';

const digest = { sha256: 'c3'.repeat(32) };
const expected: ExpectedRelease = { packageName: 'acme/hello', version: 'v1.2.0', subjects: {} };
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

  it('leaves statements without a named content subject to the digest checks', () => {
    expect(codeOf(() => checkReleaseNames(subjects('hello.zip'), expected))).toBe('accepted');
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
