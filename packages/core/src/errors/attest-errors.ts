import { defineErrors, type ErrorDefinition } from './definition.js';

/** The CI systems whose identity phpublish can attest with, as users name them. */
export type CiName = 'GitHub Actions' | 'GitLab CI';

/** What the certificate says and what the policy expected; both are public identities, never tokens. */
export interface Mismatch {
  expected: string;
  actual: string;
}

export interface ServiceFailure {
  service: string;
  url: string;
  status?: number;
  reason: string;
}

/** Parameters never carry identity tokens or API tokens: URLs, names, digests and identities only. */
export const attestErrors = defineErrors({
  ATTEST_CI_UNSUPPORTED: {
    title: 'Attestation needs a CI identity and this is not GitHub Actions or GitLab CI',
    message: () =>
      'Attestation is on, but this run is neither in GitHub Actions nor in GitLab CI, so there is no CI identity to sign with.',
    remedy: () =>
      'Run the release in GitHub Actions or GitLab CI, or set `attest.enabled: false` to release without a provenance attestation.',
    docs: 'attestation.md#ci-identity',
  } satisfies ErrorDefinition<void>,
  ATTEST_VISIBILITY_UNKNOWN: {
    title: 'phpublish cannot tell whether the repository is public',
    message: (p: { ci: CiName; repository: string }) =>
      `Neither the ${p.ci} identity token nor the job's event says whether ${p.repository || 'the repository'} is public, private or internal. With \`attest.sigstore: auto\` phpublish does not sign rather than risk publishing a private repository's provenance in the public transparency log.`,
    remedy: () =>
      'Set `attest.sigstore` to `github` for a private or internal GitHub repository (GitHub’s own Sigstore instance, no public log), or to `public-good` for a public repository. Nothing was signed.',
    docs: 'attestation.md#private-repositories',
  } satisfies ErrorDefinition<{ ci: CiName; repository: string }>,
  ATTEST_PRIVATE_NO_INSTANCE: {
    title: 'A private GitLab project has no private Sigstore instance',
    message: (p: { repository: string; visibility: string }) =>
      `The GitLab project ${p.repository} is ${p.visibility}. The only Sigstore instance for GitLab CI is the public-good one, whose transparency log would publish the project's name, commit, workflow and the release's digests for good.`,
    remedy: () =>
      'To attest anyway, set `attest.sigstore: public-good` (accepting that the log shows those details); otherwise set `attest.enabled: false`. Nothing was signed.',
    docs: 'attestation.md#private-repositories',
  } satisfies ErrorDefinition<{ repository: string; visibility: string }>,
  ATTEST_PRIVATE_PUBLIC_LOG: {
    title: 'A private repository’s provenance would go to a public transparency log',
    message: (p: { repository: string; visibility: string; url: string }) =>
      `The identity token says ${p.repository || 'the repository'} is ${p.visibility}, and signing with the public-good instance would record its name, commit, workflow and the release's digests for good in the public transparency log at ${p.url}. Nothing was signed.`,
    remedy: () =>
      'Leave `attest.sigstore` at `auto` (GitHub’s own instance signs for private and internal repositories, with no public log), or set `attest.sigstore: public-good` to accept the public log.',
    docs: 'attestation.md#private-repositories',
  } satisfies ErrorDefinition<{ repository: string; visibility: string; url: string }>,
  ATTEST_GITHUB_INSTANCE_UNAVAILABLE: {
    title: 'GitHub’s Sigstore instance signs for GitHub Actions only',
    message: (p: { ci: CiName }) =>
      `\`attest.sigstore\` is \`github\`, but this run is in ${p.ci}: GitHub’s Sigstore instance issues certificates for GitHub Actions identities only.`,
    remedy: () =>
      'Set `attest.sigstore` to `auto` or `public-good` (public projects), or `attest.enabled: false` for a private one. Nothing was signed.',
    docs: 'attestation.md#private-repositories',
  } satisfies ErrorDefinition<{ ci: CiName }>,
  ATTEST_ID_TOKEN_PERMISSION_MISSING: {
    title: 'The GitHub Actions job may not request an OIDC token',
    message: () =>
      'GitHub Actions did not give this job ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN: the workflow lacks the `id-token: write` permission.',
    remedy: () =>
      'Add `permissions:` with `id-token: write` (and `contents: write`, plus `attestations: write` when storing in GitHub’s attestation store) to the release job in the workflow file. A job-level `permissions:` block replaces the workflow’s, so list every permission the job needs.',
    docs: 'attestation.md#github-actions-permissions',
  } satisfies ErrorDefinition<void>,
  ATTEST_ID_TOKEN_MISSING: {
    title: 'The GitLab CI job has no ID token for Sigstore',
    message: (p: { variable: string }) =>
      `GitLab CI did not give this job an ID token in ${p.variable}: the job has no \`id_tokens:\` entry for it.`,
    remedy: (p) =>
      `Add to the release job in .gitlab-ci.yml:\n  id_tokens:\n    ${p.variable}:\n      aud: sigstore\n(or set \`attest.identityTokenVariable\` to the name of the variable you declared).`,
    docs: 'attestation.md#gitlab-ci-id-tokens',
  } satisfies ErrorDefinition<{ variable: string }>,
  ATTEST_ID_TOKEN_REQUEST_FAILED: {
    title: 'The CI’s token service did not issue an ID token',
    message: (p: { status?: number; reason: string }) =>
      `GitHub Actions’ token service did not issue an ID token${p.status ? ` (HTTP ${p.status})` : ''}: ${p.reason}.`,
    remedy: () =>
      'Check that the job has `permissions: id-token: write` and runs on GitHub-hosted or correctly configured self-hosted runners; run the job again — a new run gets a new token.',
    docs: 'attestation.md#github-actions-permissions',
  } satisfies ErrorDefinition<{ status?: number; reason: string }>,
  ATTEST_ID_TOKEN_INVALID: {
    title: 'The CI identity token cannot be used for Sigstore',
    message: (p: { ci: CiName; problem: string }) => `The ${p.ci} ID token cannot be used: ${p.problem}.`,
    remedy: (p) =>
      p.ci === 'GitLab CI'
        ? 'Declare the token with `aud: sigstore` in `id_tokens:` and do not overwrite the variable elsewhere (CI/CD variables of the same name win over `id_tokens:`).'
        : 'phpublish requests the token with the audience `sigstore`; if a step or action replaced ACTIONS_ID_TOKEN_REQUEST_URL, remove it.',
    docs: 'attestation.md#ci-identity',
  } satisfies ErrorDefinition<{ ci: CiName; problem: string }>,
  ATTEST_GITHUB_TOKEN_MISSING: {
    title: 'Storing the attestation on GitHub needs a GitHub token',
    message: () =>
      'The attestation is to be stored on GitHub (release asset or attestation store), but neither GITHUB_TOKEN nor GH_TOKEN is set.',
    remedy: () =>
      // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub's expression syntax, as users write it in the workflow
      'Pass the job’s token to the step: `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`; or turn off `attest.storeReleaseAsset` and `attest.storeGitHubAttestation`.',
    docs: 'attestation.md#github-actions-permissions',
  } satisfies ErrorDefinition<void>,
  ATTEST_GITHUB_PERMISSION_MISSING: {
    title: 'The GitHub token lacks a permission the attestation needs',
    message: (p: { permission: string; action: string; status: number }) =>
      `GitHub refused to ${p.action} (HTTP ${p.status}): the token lacks \`${p.permission}\`.`,
    remedy: (p) =>
      `Add \`${p.permission}\` to the release job’s \`permissions:\` in the workflow file (a job-level block replaces the workflow’s, so keep \`id-token: write\` and \`contents: write\` there too).`,
    docs: 'attestation.md#github-actions-permissions',
  } satisfies ErrorDefinition<{ permission: string; action: string; status: number }>,
  ATTEST_GITLAB_TOKEN_MISSING: {
    title: 'Storing the attestation on GitLab needs a token',
    message: () =>
      'The attestation is to be linked from the GitLab release, but neither GITLAB_TOKEN nor CI_JOB_TOKEN is set.',
    remedy: () =>
      'Run the release in a GitLab CI job (which has CI_JOB_TOKEN), or set GITLAB_TOKEN to a token with the `api` scope; or set `attest.storeGitLabReleaseLink: false`.',
    docs: 'attestation.md#storage',
  } satisfies ErrorDefinition<void>,
  ATTEST_SUBJECTS_INVALID: {
    title: 'The digests to attest are not well-formed',
    message: (p: { problem: string }) => `The attestation subjects cannot be built: ${p.problem}.`,
    remedy: () =>
      'Pass the zip’s SHA-256 as 64 lowercase hex digits and the content digest as `phpublish-tree-v1:sha256:<64 hex digits>`, as the archive step reports them.',
    docs: 'attestation.md#subjects',
  } satisfies ErrorDefinition<{ problem: string }>,
  ATTEST_SIGNING_FAILED: {
    title: 'Sigstore did not sign the attestation',
    message: (p: ServiceFailure) =>
      `${p.service} (${p.url}) did not complete the signature${p.status ? ` (HTTP ${p.status})` : ''}: ${p.reason}.`,
    remedy: (p) =>
      p.service === 'Fulcio'
        ? 'Fulcio rejects tokens from issuers it does not know and expired tokens: check `attest.fulcioUrl`, and run the job again (ID tokens live a few minutes). Nothing was published.'
        : 'Check `attest.rekorUrl`/`attest.tsaUrl` and the service status (status.sigstore.dev), then run the release again: nothing was stored yet.',
    docs: 'attestation.md#signing',
  } satisfies ErrorDefinition<ServiceFailure>,
  ATTEST_OTHER_COMMIT: {
    title: 'The release tag points at a commit this CI job was not started for',
    message: (p: { tag: string; commit: string; ciCommit: string; ci: CiName }) =>
      `${p.tag} points at ${p.commit}, but this ${p.ci} job runs for commit ${p.ciCommit}. Its identity (and so the attestation) names ${p.ciCommit}, which \`phpublish verify\` refuses for a tag at another commit.`,
    remedy: () =>
      'Release the commit the job was started for: do not let the release tool commit during the release (release-it: `git.commit: false`; semantic-release: no @semantic-release/git — commit changelogs through a pull request), and do not push commits from the job before it. Or set `attest.enabled: false` to release without an attestation.',
    docs: 'attestation.md#the-attested-commit',
  } satisfies ErrorDefinition<{ tag: string; commit: string; ciCommit: string; ci: CiName }>,
  ATTEST_RELEASE_NOT_FOUND: {
    title: 'There is no release to attach the attestation to',
    message: (p: { forge: string; repository: string; tag: string }) =>
      `${p.forge} has no release for tag ${p.tag} in ${p.repository}.`,
    remedy: () =>
      'Create the release first (your release tool does this before phpublish’s attestation step). A draft release is not found by its tag: publish it (release-it: leave `github.draft` off) and run the release again. Or turn off `attest.storeReleaseAsset`/`attest.storeGitLabReleaseLink` and keep only the attestation store.',
    docs: 'attestation.md#storage',
  } satisfies ErrorDefinition<{ forge: string; repository: string; tag: string }>,
  ATTEST_RELEASE_IMMUTABLE: {
    title: 'The release is immutable: GitHub no longer takes assets for it',
    message: (p: { repository: string; tag: string; name: string }) =>
      `Release ${p.tag} of ${p.repository} was published with release immutability on, so GitHub refuses to attach ${p.name} to it (422 Cannot upload assets to an immutable release). Nothing was attached; the release stays as it is.`,
    remedy: () =>
      'Have your release tool create the release as a draft (semantic-release: `draftRelease: true` for @semantic-release/github; release-it: `github.draft: true`): phpublish attaches the zip and bundle to the draft and publishes it last. Or keep `attest.storeGitHubAttestation` on and set `attest.storeReleaseAsset: false`: the bundle is then in GitHub’s attestation store only. A tag used by an immutable release can never be released again: release a new version.',
    docs: 'attestation.md#immutable-releases',
  } satisfies ErrorDefinition<{ repository: string; tag: string; name: string }>,
  ATTEST_RELEASE_ASSET_CONFLICT: {
    title: 'The release already has an attestation for other contents',
    message: (p: { name: string; tag: string }) =>
      `Release ${p.tag} already has an asset ${p.name} whose statement covers other subjects than this build.`,
    remedy: () =>
      'Someone attached an attestation for a different zip to this release. Do not overwrite it blindly: compare both, delete the wrong asset by hand, and run the step again.',
    docs: 'attestation.md#storage',
  } satisfies ErrorDefinition<{ name: string; tag: string }>,
  ATTEST_STORE_FAILED: {
    title: 'The attestation could not be stored',
    message: (p: ServiceFailure) =>
      `${p.service} did not store the attestation (${p.url}${p.status ? `, HTTP ${p.status}` : ''}): ${p.reason}.`,
    remedy: () =>
      'Run the step again: storing is idempotent (an identical attestation already stored is kept). If it persists, check the API URL options and the service status.',
    docs: 'attestation.md#storage',
  } satisfies ErrorDefinition<ServiceFailure>,
  ATTEST_FETCH_FAILED: {
    title: 'The attestation could not be downloaded',
    message: (p: ServiceFailure) =>
      `Could not read attestations from ${p.service} (${p.url}${p.status ? `, HTTP ${p.status}` : ''}): ${p.reason}.`,
    remedy: () =>
      'Check the network and the API URL, then try again; private repositories need a token that can read them.',
    docs: 'attestation.md#verification',
  } satisfies ErrorDefinition<ServiceFailure>,
  ATTEST_NOT_FOUND: {
    title: 'No attestation was found for the release',
    message: (p: { where: string }) => `No attestation was found ${p.where}.`,
    remedy: () =>
      'The release was published without phpublish’s attestation (or it was removed). Do not trust the release’s provenance; ask the maintainers to attest it.',
    docs: 'attestation.md#verification',
  } satisfies ErrorDefinition<{ where: string }>,
  ATTEST_TRUSTED_ROOT_INVALID: {
    title: 'The Sigstore trusted root cannot be used',
    message: (p: { problem: string }) => `The Sigstore trusted root cannot be used: ${p.problem}.`,
    remedy: () =>
      'Pass the trusted_root.json of the Sigstore instance that signed (for the public instance, let phpublish load it through TUF), unmodified.',
    docs: 'attestation.md#trusted-roots',
  } satisfies ErrorDefinition<{ problem: string }>,
  ATTEST_BUNDLE_MALFORMED: {
    title: 'The attestation is not a readable Sigstore bundle',
    message: (p: { problem: string }) => `The attestation is not a readable Sigstore bundle: ${p.problem}.`,
    remedy: () =>
      'The file was truncated or is not a Sigstore bundle. Download it again from the release; if it stays broken, do not trust the release.',
    docs: 'attestation.md#verification',
  } satisfies ErrorDefinition<{ problem: string }>,
  ATTEST_STATEMENT_INVALID: {
    title: 'The attestation does not hold an in-toto SLSA provenance statement',
    message: (p: { problem: string }) => `The attestation is not a SLSA provenance statement: ${p.problem}.`,
    remedy: () =>
      'Only build-provenance attestations made by phpublish (or actions/attest) prove where a release was built.',
    docs: 'attestation.md#the-provenance-statement',
  } satisfies ErrorDefinition<{ problem: string }>,
  ATTEST_BUNDLE_TAMPERED: {
    title: 'The attestation was changed after it was signed',
    message: (p: { problem: string }) => `The attestation’s signature does not match its contents: ${p.problem}.`,
    remedy: () => 'Someone edited the statement or the signature. Do not trust this release; tell its maintainers.',
    docs: 'attestation.md#verification',
  } satisfies ErrorDefinition<{ problem: string }>,
  ATTEST_CERTIFICATE_UNTRUSTED: {
    title: 'The signing certificate does not chain to the trusted root',
    message: (p: { problem: string }) =>
      `The attestation’s signing certificate was not issued by a certificate authority of the trusted root: ${p.problem}.`,
    remedy: () =>
      'The attestation was signed by another Sigstore instance (or forged). Verify with the trusted root of the instance the project uses; otherwise do not trust it.',
    docs: 'attestation.md#trusted-roots',
  } satisfies ErrorDefinition<{ problem: string }>,
  ATTEST_TLOG_INVALID: {
    title: 'The transparency-log proof of the attestation does not verify',
    message: (p: { problem: string }) => `The attestation’s transparency-log entry does not verify: ${p.problem}.`,
    remedy: () =>
      'The bundle’s Rekor entry is missing, altered, or from a log the trusted root does not list. Do not trust it.',
    docs: 'attestation.md#verification',
  } satisfies ErrorDefinition<{ problem: string }>,
  ATTEST_TIMESTAMP_INVALID: {
    title: 'The attestation has no trustworthy signing time',
    message: (p: { problem: string }) => `The attestation’s signing time cannot be established: ${p.problem}.`,
    remedy: () =>
      'A signature needs a verified time (a transparency-log entry or a timestamp from a trusted authority) inside the certificate’s validity. Do not trust it.',
    docs: 'attestation.md#verification',
  } satisfies ErrorDefinition<{ problem: string }>,
  ATTEST_ISSUER_MISMATCH: {
    title: 'The attestation was signed with an identity from another OIDC issuer',
    message: (p: Mismatch) => `The attestation’s identity was issued by ${p.actual}, not by ${p.expected}.`,
    remedy: () =>
      'Only the CI’s own issuer (https://token.actions.githubusercontent.com for GitHub Actions, the GitLab instance for GitLab CI) vouches for a workflow. Do not trust this attestation.',
    docs: 'attestation.md#identity-policy',
  } satisfies ErrorDefinition<Mismatch>,
  ATTEST_REPOSITORY_MISMATCH: {
    title: 'The attestation was made by a build of another repository',
    message: (p: Mismatch) => `The attestation was made in ${p.actual}, not in ${p.expected}.`,
    remedy: () =>
      'A build of another repository signed this. Do not trust it; if the project moved, verify with its new repository explicitly.',
    docs: 'attestation.md#identity-policy',
  } satisfies ErrorDefinition<Mismatch>,
  ATTEST_WORKFLOW_MISMATCH: {
    title: 'The attestation was made by another workflow',
    message: (p: Mismatch) => `The attestation was signed by the workflow ${p.actual}, not by ${p.expected}.`,
    remedy: () =>
      'Another workflow of the repository (anyone who can push a workflow file can run one) signed this. Trust only the release workflow; if it was renamed, verify with its new path.',
    docs: 'attestation.md#identity-policy',
  } satisfies ErrorDefinition<Mismatch>,
  ATTEST_IDENTITY_MISMATCH: {
    title: 'The attestation was signed by another identity than the release run',
    message: (p: Mismatch) => `The attestation was signed by ${p.actual}, not by ${p.expected}.`,
    remedy: () =>
      'The signer is not the release workflow at the release’s tag (for example a branch build, or a person). Do not trust it for this release.',
    docs: 'attestation.md#identity-policy',
  } satisfies ErrorDefinition<Mismatch>,
  ATTEST_ZIP_MISMATCH: {
    title: 'The attestation does not cover this zip',
    message: (p: { name: string; sha256: string }) =>
      `No subject of the attestation has the SHA-256 of ${p.name} (${p.sha256}).`,
    remedy: () =>
      'This zip is not the one the release workflow built (it was swapped or rebuilt). Do not install it; fetch the release asset again.',
    docs: 'attestation.md#subjects',
  } satisfies ErrorDefinition<{ name: string; sha256: string }>,
  ATTEST_CONTENT_MISMATCH: {
    title: 'The attestation does not cover these contents',
    message: (p: { digest: string }) => `No subject of the attestation has the content digest ${p.digest}.`,
    remedy: () =>
      'The files differ from what the release workflow built. Do not install them; compare with the attested zip.',
    docs: 'attestation.md#subjects',
  } satisfies ErrorDefinition<{ digest: string }>,
});
