import { isPhpublishError, PhpublishError } from '../errors/index.js';
import type { VerifyTarget } from './lock.js';
import { failed, type PackageReport } from './report.js';

/**
 * The report of a package whose verification stopped on an error that is not a finding (a
 * defect, a thread that died): failed, with the error in a row of its own, so that the run goes
 * on and its report stays whole. Nothing about the package was verified.
 */
export function crashedReport(target: VerifyTarget, error: unknown, policyEntry?: string): PackageReport {
  const reason = isPhpublishError(error)
    ? `${error.code}: ${error.message}`
    : (String((error as Error)?.message ?? error).split('\n')[0] ?? 'unknown error');
  return {
    packageName: target.packageName,
    ...(target.version ? { version: target.version } : {}),
    status: 'failed',
    ...(policyEntry ? { policyEntry } : {}),
    checks: [
      // The row stands for the whole package rather than for one link of the chain.
      failed(
        'policy',
        new PhpublishError('VERIFY_INTERNAL_ERROR', { packageName: target.packageName, reason }, { cause: error }),
      ),
    ],
  };
}
