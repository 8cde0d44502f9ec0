export { defaultCacheDir } from '../cache-dir.js';
export {
  type AllVersionsReport,
  type AllVersionsScope,
  type VerifyAllVersionsInput,
  verifyAllVersions,
} from './all-versions.js';
export { type FetchedTag, TagFetcher } from './fetch-tag.js';
export { type LockedPackage, readComposerLock, type VerifyTarget } from './lock.js';
export {
  loadPolicy,
  POLICY_FILE_NAME,
  policyEntryFor,
  type ResolvedPolicyEntry,
  type VerifyPolicy,
} from './policy.js';
export {
  identitySchema,
  type PolicyEntry,
  type PolicyFile,
  type PolicyIdentity,
  policyEntrySchema,
  policyJsonSchema,
  policySchema,
} from './policy-schema.js';
export {
  CHECK_TITLES,
  CHECKS,
  type CheckName,
  type CheckResult,
  type CheckStatus,
  type PackageReport,
  type PackageStatus,
  type VerifyReport,
} from './report.js';
export { createVerifyAgent, DEFAULT_ENDPOINTS, type VerifyDeps, type VerifyEndpoints } from './session.js';
export { parseSince, type Since } from './since.js';
export type { VerifyCacheOptions } from './verify-cache.js';
export { type VerifyPackagesInput, verifyPackages } from './verify-packages.js';
