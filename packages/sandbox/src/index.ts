export { sandboxAudit, secretsInRequestUrls } from './audit.js';
export { type ComposerInstallInput, type ComposerInstallResult, installWithComposer } from './composer/install.js';
export type { Fault, FaultRule } from './http/faults.js';
export type { RecordedRequest } from './http/request-log.js';
export type { FinishedJobStatus, JobResult } from './packagist/jobs.js';
export { minifyVersions, UNSET_MARKER, type VersionArray } from './packagist/metadata-minifier.js';
export {
  type CrawlOutcome,
  type SandboxPackagist,
  type SandboxPackagistOptions,
  type SandboxUserCredentials,
  startSandboxPackagist,
} from './packagist/sandbox-packagist.js';
