export { sandboxAudit, secretsInRequestUrls } from './audit.js';
export { type ComposerInstallInput, type ComposerInstallResult, installWithComposer } from './composer/install.js';
export {
  type SandboxGitHttpBackend,
  type SandboxGitHttpBackendOptions,
  startSandboxGitHttpBackend,
} from './git/git-http-backend.js';
export { type SandboxGitTagServer, startSandboxGitTagServer } from './git/git-tag-server.js';
export {
  type AttestationBundleShape,
  type GitHubTokenPermissions,
  type SandboxAttestation,
  type SandboxGitHub,
  type SandboxGitHubOptions,
  type SandboxRelease,
  type SandboxReleaseAsset,
  startSandboxGitHub,
} from './github/sandbox-github.js';
export {
  type SandboxGitLab,
  type SandboxGitLabOptions,
  type SandboxReleaseLink,
  startSandboxGitLab,
} from './gitlab/sandbox-gitlab.js';
export type { Fault, FaultRule } from './http/faults.js';
export type { RecordedRequest } from './http/request-log.js';
export { type GitHubActionsJob, type GitLabCiJob, gitHubActionsClaims, gitLabCiClaims } from './oidc/claims.js';
export { decodeJwt, type JwtClaims, signJwt, verifyJwt } from './oidc/jwt.js';
export {
  type SandboxCiJob,
  type SandboxOidcIssuer,
  type SandboxOidcIssuerOptions,
  startSandboxOidcIssuer,
} from './oidc/oidc-issuer.js';
export type { FinishedJobStatus, JobResult } from './packagist/jobs.js';
export { minifyVersions, UNSET_MARKER, type VersionArray } from './packagist/metadata-minifier.js';
export {
  type CrawlOutcome,
  type SandboxPackagist,
  type SandboxPackagistOptions,
  type SandboxUserCredentials,
  startSandboxPackagist,
} from './packagist/sandbox-packagist.js';
export {
  type SandboxPrivatePackagist,
  type SandboxPrivatePackagistOptions,
  startSandboxPrivatePackagist,
} from './private-packagist/sandbox-private-packagist.js';
export type { TrustedPublisher } from './private-packagist/trusted-publishers.js';
export {
  type AttestationSandbox,
  startAttestationSandbox,
} from './sigstore/attestation-sandbox.js';
export {
  type CertificateIdentity,
  type CiProvider,
  certificateIdentity,
  FULCIO_OIDS,
  type TrustedOidcIssuer,
} from './sigstore/fulcio-identity.js';
export {
  type SandboxGitHubSigstore,
  type SandboxSigstore,
  type SandboxSigstoreInstance,
  type SandboxSigstoreOptions,
  type SigstoreService,
  startSandboxSigstore,
} from './sigstore/sandbox-sigstore.js';
export { sandboxTrustedRoot, type TrustedRootJson, type TrustedRootParts } from './sigstore/trusted-root.js';
