export { type AttestConfig, type AttestOptionsInput, attestSchema } from '../config/attest-schema.js';
export { type AttestReleaseResult, attestRelease, type ReleaseToAttest, type StoreTarget } from './attest-release.js';
export { attestedCommitProblemIn, type ReleaseCommit } from './attested-commit.js';
export { FULCIO_OID, type SignerIdentity } from './certificate-identity.js';
export { type CiPlatform, detectCiPlatform } from './ci.js';
export type { AttestDeps } from './deps.js';
export {
  fetchGitHubAttestations,
  fetchReleaseAsset,
  type GitHubRepositoryApi,
  gitHubAuthHeaders,
  type StoreOutcome,
  storeGitHubAttestation,
  storeReleaseAsset,
  storeZipAsset,
} from './github-store.js';
export {
  fetchGitLabReleaseLink,
  GITLAB_ATTESTATION_PACKAGE,
  type GitLabProjectApi,
  gitLabAuthHeaders,
  gitLabBundleUrl,
  storeGitLabReleaseLink,
} from './gitlab-store.js';
export { type IdentityClaims, type IdentityToken, obtainIdentityToken, SIGSTORE_AUDIENCE } from './id-token.js';
export {
  checkIdentity,
  GITHUB_ACTIONS_ISSUER,
  gitHubActionsPolicy,
  gitLabCiPolicy,
  type IdentityPolicy,
  workflowIdentity,
} from './identity-policy.js';
export { preflightAttestation } from './preflight.js';
export { GITHUB_ACTIONS_BUILD_TYPE, gitHubActionsProvenance, gitLabCiProvenance } from './provenance.js';
export { BUNDLE_V03_MEDIA_TYPE, type SigstoreBundle, type SigstoreEndpoints, signStatement } from './sign.js';
export {
  chooseSigstoreInstance,
  repositoryVisibility,
  type SigstoreInstance,
  sigstoreInstanceFor,
  sigstoreInstanceProblem,
} from './sigstore-instance.js';
export {
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  type ProvenancePredicate,
  type ProvenanceStatement,
  provenanceStatement,
  SLSA_PROVENANCE_V1,
} from './statement.js';
export {
  type AttestationSubjects,
  type NamedDigest,
  parseContentDigest,
  releaseFileNames,
  releaseSubjects,
  type Subject,
} from './subjects.js';
export {
  type PublicGoodRootOptions,
  publicGoodTrustedRoot,
  shippedPublicGoodRoot,
  type TrustedRootJson,
} from './trusted-root.js';
export {
  type ExpectedSubjects,
  type VerifiedAttestation,
  type VerifyAttestationInput,
  verifyAttestation,
} from './verify.js';
