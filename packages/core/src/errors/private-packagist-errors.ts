import { defineErrors, type ErrorDefinition } from './definition.js';

/** What Private Packagist answered, as it said it (it never echoes our token or credential back). */
export interface ServerAnswer {
  status: number;
  serverMessage: string;
}

export const privatePackagistErrors = defineErrors({
  PRIVATE_PACKAGIST_ORGANIZATION_MISSING: {
    title: 'Private Packagist mode without an organisation',
    message: () => '`packagist.mode` is `private-packagist` but `packagist.privatePackagist.organization` is not set.',
    remedy: () =>
      'Set `packagist.privatePackagist.organization` to your organisation’s URL name on Private Packagist (the part after packagist.com/orgs/ in its address).',
    docs: 'private-packagist.md#configuration',
  } satisfies ErrorDefinition,
  PRIVATE_PACKAGIST_CI_UNSUPPORTED: {
    title: 'Private Packagist trusted publishing needs GitHub Actions',
    message: (p: { ci: string }) =>
      `Private Packagist accepts trusted publishing from GitHub Actions only, and this run is ${p.ci}.`,
    remedy: () =>
      'Publish from a GitHub Actions workflow registered as the package’s trusted publisher. From GitLab CI or elsewhere, publish a VCS package instead (`packagist.privatePackagist.packageType: vcs`: Private Packagist picks the tag up from the repository); artifact uploads from there need a long-lived API key and secret, which phpublish does not use.',
    docs: 'private-packagist.md#supported-ci',
  } satisfies ErrorDefinition<{ ci: string }>,
  PRIVATE_PACKAGIST_ID_TOKEN_PERMISSION_MISSING: {
    title: 'The workflow cannot request an OIDC token for Private Packagist',
    message: () =>
      'ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: the job has no `id-token: write` permission, so it cannot prove its identity to Private Packagist.',
    remedy: () =>
      'Add `permissions: id-token: write` to the release job (or the workflow) in .github/workflows/; keep `contents: write` if phpublish pushes the tag.',
    docs: 'private-packagist.md#workflow-permissions',
  } satisfies ErrorDefinition,
  PRIVATE_PACKAGIST_UNREACHABLE: {
    title: 'Private Packagist could not be reached',
    message: (p: { url: string; reason: string }) => `Could not reach Private Packagist at ${p.url}: ${p.reason}.`,
    remedy: () =>
      'Check `packagist.privatePackagist.url` (https://packagist.com, or your self-hosted instance’s address) and that the runner can reach it.',
    docs: 'private-packagist.md#configuration',
  } satisfies ErrorDefinition<{ url: string; reason: string }>,
  PRIVATE_PACKAGIST_SERVER_ERROR: {
    title: 'Private Packagist failed on its side',
    message: (p: ServerAnswer & { url: string }) =>
      `Private Packagist answered ${p.url} with a server error (HTTP ${p.status}: ${p.serverMessage}).`,
    remedy: () =>
      'The failure is on Private Packagist’s side (or a proxy in front of it), and phpublish retried what was safe to retry. Run the release again later: what this run already published is found and not sent twice.',
    docs: 'reliability.md#order',
  } satisfies ErrorDefinition<ServerAnswer & { url: string }>,
  PRIVATE_PACKAGIST_AUDIENCE_UNAVAILABLE: {
    title: 'Private Packagist named no OIDC audience for the organisation',
    message: (p: ServerAnswer & { organization: string }) =>
      `Private Packagist gave no OIDC audience for the organisation ${p.organization} (HTTP ${p.status}: ${p.serverMessage}).`,
    remedy: () =>
      'Check `packagist.privatePackagist.organization` (the organisation’s URL name) and `packagist.privatePackagist.url`; trusted publishing must be available on that instance.',
    docs: 'private-packagist.md#configuration',
  } satisfies ErrorDefinition<ServerAnswer & { organization: string }>,
  PRIVATE_PACKAGIST_AUDIENCE_REJECTED: {
    title: 'Private Packagist refused the OIDC token’s audience',
    message: (p: ServerAnswer & { audience: string }) =>
      `Private Packagist refused the OIDC token minted for the audience "${p.audience}" (HTTP ${p.status}: ${p.serverMessage}).`,
    remedy: () =>
      'The audience and the token exchange must come from the same Private Packagist organisation: check `packagist.privatePackagist.organization` and `packagist.privatePackagist.url` (a self-hosted instance has its own).',
    docs: 'private-packagist.md#configuration',
  } satisfies ErrorDefinition<ServerAnswer & { audience: string }>,
  PRIVATE_PACKAGIST_TOKEN_REJECTED: {
    title: 'Private Packagist refused the OIDC token',
    message: (p: ServerAnswer) =>
      `Private Packagist refused the workflow’s OIDC token (HTTP ${p.status}: ${p.serverMessage}).`,
    remedy: () =>
      'Re-run the job (tokens live a few minutes); if it keeps failing, the runner’s clock or the token issuer is not what Private Packagist trusts (GitHub Actions’ token.actions.githubusercontent.com).',
    docs: 'private-packagist.md#troubleshooting',
  } satisfies ErrorDefinition<ServerAnswer>,
  PRIVATE_PACKAGIST_NO_TRUSTED_PUBLISHER: {
    title: 'No trusted publisher matches this workflow',
    message: (p: ServerAnswer & { packageName: string; organization: string; workflow: string }) =>
      `Private Packagist has no trusted publisher for ${p.packageName} in ${p.organization} that matches this run (${p.workflow}) (HTTP ${p.status}: ${p.serverMessage}).`,
    remedy: (p: ServerAnswer & { packageName: string; organization: string; workflow: string }) =>
      `An organisation owner or admin adds a trusted publisher on the API access settings page of ${p.organization}: package ${p.packageName}, the repository’s owner and name, the workflow file name (as in ${p.workflow}) and, if the job uses one, its environment.`,
    docs: 'private-packagist.md#register-the-trusted-publisher',
  } satisfies ErrorDefinition<ServerAnswer & { packageName: string; organization: string; workflow: string }>,
  PRIVATE_PACKAGIST_SIGNATURE_REJECTED: {
    title: 'Private Packagist refused the signed request',
    message: (p: ServerAnswer) =>
      `Private Packagist refused the request signed with the short-lived credential (HTTP ${p.status}: ${p.serverMessage}).`,
    remedy: () =>
      'Re-run the job: the credential lives 15 minutes and each request must be signed within the server’s time window, so check the runner’s clock too. A proxy that rewrites the request’s host, path or body also breaks the signature.',
    docs: 'private-packagist.md#troubleshooting',
  } satisfies ErrorDefinition<ServerAnswer>,
  PRIVATE_PACKAGIST_UPLOAD_FAILED: {
    title: 'Private Packagist did not accept the artifact',
    message: (p: ServerAnswer & { packageName: string; fileName: string }) =>
      `Private Packagist did not accept ${p.fileName} for ${p.packageName} (HTTP ${p.status}: ${p.serverMessage}).`,
    remedy: () =>
      'Read the server’s message: a version that already exists with another zip cannot be replaced (tag a new version); the composer.json in the zip must name the package.',
    docs: 'private-packagist.md#troubleshooting',
  } satisfies ErrorDefinition<ServerAnswer & { packageName: string; fileName: string }>,
  PRIVATE_PACKAGIST_ARTIFACT_MISMATCH: {
    title: 'Private Packagist serves another zip for this version',
    message: (p: { packageName: string; version: string; expected: string; actual: string }) =>
      `Private Packagist serves ${p.packageName} ${p.version} with a zip whose sha1 is ${p.actual}, not the released zip’s ${p.expected}.`,
    remedy: () =>
      'A version is published once: tag a new version. Find out who uploaded the other zip (the organisation’s audit log).',
    docs: 'private-packagist.md#troubleshooting',
  } satisfies ErrorDefinition<{ packageName: string; version: string; expected: string; actual: string }>,
  PRIVATE_PACKAGIST_VCS_NOT_SYNCED: {
    title: 'Private Packagist did not pick the tag up',
    message: (p: { packageName: string; version: string; seconds: number; lastSeen: string }) =>
      `Private Packagist did not list ${p.packageName} ${p.version} within ${p.seconds} s (${p.lastSeen}). It is a VCS package: Private Packagist updates it when the code host notifies it of the push, and phpublish sends nothing.`,
    remedy: () =>
      'Check on Private Packagist that the package’s repository is synchronised (the organisation’s synchronisation, or the package’s webhook on the code host) and look at the package’s update log; start an update from the package page if needed. Then re-run: the signed tag and the attestation are kept, and the re-run only confirms. To wait longer, raise `packagist.confirm.timeout`.',
    docs: 'private-packagist.md#vcs-packages',
  } satisfies ErrorDefinition<{ packageName: string; version: string; seconds: number; lastSeen: string }>,
});
