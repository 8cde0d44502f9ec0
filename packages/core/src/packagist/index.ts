export {
  type JobStatus,
  PackagistClient,
  type PackagistClientOptions,
  type UpdatePackageResult,
  type VersionsResult,
} from './client.js';
export {
  LISTING_GRACE_MS,
  quoteReference,
  referenceOf,
  type ServedVersion,
  TRANSIENT_PACKAGIST_ERRORS,
  type WaitForVersionInput,
  waitForVersion,
} from './confirm.js';
export { checkPackagistCredentials, type PackagistCredentials, readPackagistCredentials } from './credentials.js';
export { expandMinifiedVersions, type PackageVersion, versionsFromP2 } from './minified.js';
export {
  hasCredentials,
  PACKAGIST_REPOSITORY_URL_PATTERN,
  repositoryUrlFromEnvironment,
  sameRepository,
  toPublicRepositoryUrl,
} from './repository-url.js';
export { findVersion, isCommitId } from './version.js';
