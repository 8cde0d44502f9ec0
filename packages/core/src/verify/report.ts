import type { ErrorCode, PhpublishError } from '../errors/index.js';

/** The checks of one package, in the order of the chain they verify. */
export const CHECKS = ['policy', 'packagist', 'tag', 'signature', 'attestation', 'content'] as const;
export type CheckName = (typeof CHECKS)[number];

/** What each check vouches for, for tables and docs. */
export const CHECK_TITLES: Record<CheckName, string> = {
  policy: 'policy',
  packagist: 'Packagist metadata',
  tag: 'release tag',
  signature: 'tag signature',
  attestation: 'attestation',
  content: 'content',
};

/**
 * `skipped`: could not run because an earlier check failed. `not-checked`: the policy does not
 * require it, so nothing vouches for that link (never reported as passed).
 */
export type CheckStatus = 'passed' | 'failed' | 'skipped' | 'not-checked';

export interface CheckResult {
  check: CheckName;
  status: CheckStatus;
  /** One line: what was found (passed), what went wrong (failed) or why it did not run (skipped). */
  detail: string;
  /** The error of a failed check. */
  code?: ErrorCode;
  remedy?: string;
  docsUrl?: string;
  /** Passed, but something the user should know (e.g. the signing key has expired since). */
  warning?: string;
}

export type PackageStatus = 'verified' | 'failed' | 'not-covered';

export interface PackageReport {
  packageName: string;
  /** The version verified (as Packagist or composer.lock writes it), when known. */
  version?: string;
  /** The commit that would be installed, when known. */
  commit?: string;
  status: PackageStatus;
  /** The policy entry that applied (`acme/hello` or `acme/*`). */
  policyEntry?: string;
  checks: CheckResult[];
}

export interface VerifyReport {
  packages: PackageReport[];
  summary: { verified: number; failed: number; notCovered: number; warnings: number };
  durationMs: number;
}

export const passed = (check: CheckName, detail: string, warning?: string): CheckResult => ({
  check,
  status: 'passed',
  detail,
  ...(warning ? { warning } : {}),
});

export const skipped = (check: CheckName, detail: string): CheckResult => ({ check, status: 'skipped', detail });

export const notChecked = (check: CheckName, detail: string): CheckResult => ({
  check,
  status: 'not-checked',
  detail,
});

export const failed = (check: CheckName, error: PhpublishError): CheckResult => ({
  check,
  status: 'failed',
  detail: error.message,
  code: error.code,
  remedy: error.remedy,
  docsUrl: error.docsUrl,
});

export function summarize(packages: PackageReport[], durationMs: number): VerifyReport {
  const count = (status: PackageStatus) => packages.filter((p) => p.status === status).length;
  return {
    packages,
    summary: {
      verified: count('verified'),
      failed: count('failed'),
      notCovered: count('not-covered'),
      warnings: packages.reduce((n, p) => n + p.checks.filter((c) => c.warning).length, 0),
    },
    durationMs,
  };
}
