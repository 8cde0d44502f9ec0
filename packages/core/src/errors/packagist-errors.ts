import { defineErrors, type ErrorDefinition } from './definition.js';

export interface HttpDetail {
  /** What Packagist said, as it said it (never contains our credentials: they are not echoed back). */
  status: number;
  serverMessage: string;
}

export const packagistErrors = defineErrors({
  PACKAGIST_CREDENTIALS_MISSING: {
    title: 'Token mode without Packagist credentials',
    message: (p: { missing: string[] }) =>
      `Packagist mode \`token\` needs ${p.missing.map((m) => `\`${m}\``).join(' and ')}, which ${p.missing.length > 1 ? 'are' : 'is'} not set.`,
    remedy: () =>
      'Add PACKAGIST_USERNAME and PACKAGIST_API_TOKEN (the SAFE token from your Packagist profile is enough) as CI secrets, or set `packagist.mode` to `github-app` if the Packagist GitHub App updates the package.',
    docs: 'configuration.md#packagist-credentials',
  } satisfies ErrorDefinition<{ missing: string[] }>,
  PACKAGIST_TOKEN_MALFORMED: {
    title: 'The Packagist API token does not look like one',
    message: (p: { problem: string }) => `PACKAGIST_API_TOKEN is not a Packagist API token: ${p.problem}.`,
    remedy: () =>
      'Copy the API token (or the SAFE API token) from your Packagist profile page into the PACKAGIST_API_TOKEN secret; it is 40 hexadecimal characters. Do not use a GitHub token here.',
    docs: 'configuration.md#packagist-credentials',
  } satisfies ErrorDefinition<{ problem: string }>,
  PACKAGIST_USERNAME_MALFORMED: {
    title: 'The Packagist username is not usable',
    message: (p: { problem: string }) => `PACKAGIST_USERNAME is not a Packagist username: ${p.problem}.`,
    remedy: () => 'Set PACKAGIST_USERNAME to the username shown on your Packagist profile page.',
    docs: 'configuration.md#packagist-credentials',
  } satisfies ErrorDefinition<{ problem: string }>,
  PACKAGIST_AUTH_REJECTED: {
    title: 'Packagist refused the username or token',
    message: (p: HttpDetail) => `Packagist refused the credentials (HTTP ${p.status}: ${p.serverMessage}).`,
    remedy: () =>
      'Check that PACKAGIST_USERNAME is your Packagist username and PACKAGIST_API_TOKEN its current API token (tokens change when rotated on the profile page).',
    docs: 'configuration.md#packagist-credentials',
  } satisfies ErrorDefinition<HttpDetail>,
  PACKAGIST_ACCESS_DENIED: {
    title: 'Packagist refused a request that carried no credentials',
    message: (p: HttpDetail & { url: string }) =>
      `${p.url} refused access (HTTP ${p.status}: ${p.serverMessage}); phpublish sent no credentials with this request.`,
    remedy: () =>
      'Packagist’s metadata and job pages are public: check `packagistUrl` (a private Composer repository, a proxy or a firewall on the way refuses anonymous requests), and whether this network or IP is blocked.',
    docs: 'troubleshooting.md#packagist-rejected-the-request',
  } satisfies ErrorDefinition<HttpDetail & { url: string }>,
  PACKAGIST_MAIN_TOKEN_REQUIRED: {
    title: 'Creating a package needs the main API token',
    message: (p: HttpDetail) =>
      `Packagist refused to create the package with this token (HTTP ${p.status}: ${p.serverMessage}). Creating a package needs the main API token; the SAFE token can only update.`,
    remedy: () =>
      'Create the package once on Packagist (Submit page) and keep the SAFE token in CI, or provide the main API token for this one release.',
    docs: 'configuration.md#packagist-createifmissing',
  } satisfies ErrorDefinition<HttpDetail>,
  PACKAGIST_PACKAGE_NOT_FOUND: {
    title: 'Packagist has no package for this repository that the user maintains',
    message: (p: { repositoryUrl: string; username?: string }) =>
      `Packagist has no package with the repository ${p.repositoryUrl}${p.username ? ` maintained by ${p.username}` : ''}.`,
    remedy: () =>
      'Submit the package on Packagist first, or set `packagist.createIfMissing: true` with the main API token; if it exists, make sure the repository URL on its page matches and that the user is a maintainer.',
    docs: 'configuration.md#packagist-createifmissing',
  } satisfies ErrorDefinition<{ repositoryUrl: string; username?: string }>,
  PACKAGIST_NOT_LISTED: {
    title: 'The package is not on Packagist',
    message: (p: { packageName: string }) =>
      `${p.packageName} is not on Packagist yet, and creating it is not enabled.`,
    remedy: () =>
      'Submit the package on Packagist once, or set `packagist.createIfMissing: true` and provide the main API token.',
    docs: 'configuration.md#packagist-createifmissing',
  } satisfies ErrorDefinition<{ packageName: string }>,
  PACKAGIST_REPOSITORY_URL_REJECTED: {
    title: 'Packagist could not parse the repository URL',
    message: (p: HttpDetail & { repositoryUrl: string }) =>
      `Packagist could not use the repository URL ${p.repositoryUrl} (HTTP ${p.status}: ${p.serverMessage}).`,
    remedy: () =>
      'Set `packagist.repositoryUrl` to the public URL of the repository, e.g. https://github.com/acme/hello.',
    docs: 'configuration.md#packagist-repositoryurl',
  } satisfies ErrorDefinition<HttpDetail & { repositoryUrl: string }>,
  PACKAGIST_PAYLOAD_REJECTED: {
    title: 'Packagist did not accept the request body',
    message: (p: HttpDetail) => `Packagist did not accept the request (HTTP ${p.status}: ${p.serverMessage}).`,
    remedy: () =>
      'This is a phpublish defect or an API change on Packagist; please report it with this message. Meanwhile, update the package from its Packagist page.',
    docs: 'troubleshooting.md#packagist-rejected-the-request',
  } satisfies ErrorDefinition<HttpDetail>,
  PACKAGIST_CREATE_REJECTED: {
    title: 'Packagist refused to create the package',
    message: (p: HttpDetail & { field?: string }) =>
      `Packagist refused to create the package${p.field ? ` (${p.field})` : ''} (HTTP ${p.status}: ${p.serverMessage}).`,
    remedy: () =>
      'Fix what Packagist reports (composer.json on the default branch, package name, vendor), or submit the package on the Packagist website.',
    docs: 'configuration.md#packagist-createifmissing',
  } satisfies ErrorDefinition<HttpDetail & { field?: string }>,
  PACKAGIST_RATE_LIMITED: {
    title: 'Packagist is refusing requests from this client for now',
    message: (p: { retryAfterSeconds?: number }) =>
      `Packagist answered 429 Too Many Requests${p.retryAfterSeconds !== undefined ? ` and asks to wait ${p.retryAfterSeconds} s` : ''}.`,
    remedy: () =>
      'Wait and run the release again (it resumes where it stopped). A very long Retry-After means this IP or account is blocked: contact the Packagist maintainers.',
    docs: 'troubleshooting.md#packagist-is-rate-limiting',
  } satisfies ErrorDefinition<{ retryAfterSeconds?: number }>,
  PACKAGIST_UNAVAILABLE: {
    title: 'Packagist kept answering with server errors',
    message: (p: HttpDetail & { attempts: number }) =>
      `Packagist answered HTTP ${p.status} ${p.attempts} times in a row (${p.serverMessage}).`,
    remedy: () =>
      'Packagist is having trouble; run the release again later — it resumes where it stopped and does not publish twice.',
    docs: 'troubleshooting.md#packagist-is-down',
  } satisfies ErrorDefinition<HttpDetail & { attempts: number }>,
  PACKAGIST_UNREACHABLE: {
    title: 'Packagist could not be reached',
    message: (p: { url: string; reason: string; attempts: number }) =>
      `Could not reach ${p.url} after ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}: ${p.reason}.`,
    remedy: () =>
      'Check the runner’s network and `packagist.url`/`packagist.repoUrl`; run the release again when Packagist is reachable — it resumes where it stopped.',
    docs: 'troubleshooting.md#packagist-is-down',
  } satisfies ErrorDefinition<{ url: string; reason: string; attempts: number }>,
  PACKAGIST_BAD_RESPONSE: {
    title: 'Packagist answered something phpublish does not understand',
    message: (p: { url: string; status: number; problem: string }) =>
      `Unexpected answer from ${p.url} (HTTP ${p.status}): ${p.problem}.`,
    remedy: () =>
      'Check `packagist.url` and `packagist.repoUrl` point at Packagist (not a proxy or login page); if they do, run again later and report it if it persists.',
    docs: 'troubleshooting.md#packagist-rejected-the-request',
  } satisfies ErrorDefinition<{ url: string; status: number; problem: string }>,
  PACKAGIST_JOB_FAILED: {
    title: 'Packagist could not update the package',
    message: (p: { jobId: string; status: string; serverMessage: string }) =>
      `Packagist's update job ${p.jobId} ended ${p.status}: ${p.serverMessage}`,
    remedy: () =>
      'Read the message above (often an invalid composer.json at the tag), fix it in a new release, or check the package page on Packagist.',
    docs: 'troubleshooting.md#the-packagist-update-failed',
  } satisfies ErrorDefinition<{ jobId: string; status: string; serverMessage: string }>,
  PACKAGIST_VERSION_AT_OTHER_COMMIT: {
    title: 'Packagist serves this version at a different commit',
    message: (p: { packageName: string; version: string; expected: string; actual: string }) =>
      `Packagist serves ${p.packageName} ${p.version} at commit ${p.actual}, not at the tagged commit ${p.expected}. Packagist never moves a published stable version.`,
    remedy: () =>
      'Do not move release tags: restore the tag to the published commit, and release the change as a new version.',
    docs: 'troubleshooting.md#the-version-is-published-at-another-commit',
  } satisfies ErrorDefinition<{ packageName: string; version: string; expected: string; actual: string }>,
  PACKAGIST_REFERENCE_NOT_COMMIT: {
    title: 'Packagist metadata names something other than a commit for the version',
    message: (p: { packageName: string; version: string; reference: string }) =>
      `Packagist metadata gives ${p.packageName} ${p.version} the reference ${p.reference}, which is not a full commit id (40 or 64 lowercase hexadecimal characters).`,
    remedy: () =>
      'A release is served at one commit — never at HEAD, a branch, a tag name or a short id. Check `packagistUrl` (a mirror or proxy may rewrite metadata); do not install this version until its metadata names its commit.',
    docs: 'verify.md#packagist-metadata',
  } satisfies ErrorDefinition<{ packageName: string; version: string; reference: string }>,
  PACKAGIST_CONFIRM_TIMEOUT: {
    title: 'Packagist did not serve the new version in time',
    message: (p: { packageName: string; version: string; seconds: number; lastSeen: string }) =>
      `Packagist did not serve ${p.packageName} ${p.version} within ${p.seconds} s (${p.lastSeen}).`,
    remedy: () =>
      'Check the package page on Packagist; raise `packagist.confirm.timeout`, or set `packagist.confirm.onTimeout: warn` if your updates are slow (e.g. GitHub App mode without a hook).',
    docs: 'configuration.md#packagist-confirm-timeout',
  } satisfies ErrorDefinition<{ packageName: string; version: string; seconds: number; lastSeen: string }>,
  PACKAGIST_METADATA_INVALID: {
    title: 'Packagist metadata could not be read',
    message: (p: { url: string; problem: string }) => `The metadata at ${p.url} cannot be read: ${p.problem}.`,
    remedy: () => 'Check `packagist.repoUrl`; if it is right, run again later and report it if it persists.',
    docs: 'troubleshooting.md#packagist-rejected-the-request',
  } satisfies ErrorDefinition<{ url: string; problem: string }>,
  PACKAGIST_VERSION_INVALID: {
    title: 'The tag is not a version Composer understands',
    message: (p: { tag: string }) =>
      `The tag ${p.tag} is not a Composer version, so Packagist would ignore it and the release would never appear.`,
    remedy: () =>
      'Use tags like v1.2.3, 1.2.3, v2.0.0-beta.1 or 2.0.0-RC1 (semantic-release: keep its default `tagFormat`, which gives v1.2.3).',
    docs: 'troubleshooting.md#the-version-is-not-listed',
  } satisfies ErrorDefinition<{ tag: string }>,
  PACKAGIST_VERSION_NOT_LISTED: {
    title: 'Packagist finished updating but does not list the version',
    message: (p: { packageName: string; version: string; jobMessage: string }) =>
      `Packagist finished updating ${p.packageName} (${p.jobMessage}) but does not list ${p.version}.`,
    remedy: () =>
      'Check that composer.json at the tag has the same `name`, is valid (`composer validate`), and that the tag is a Composer version; the update log on the package page says why a tag was skipped.',
    docs: 'troubleshooting.md#the-version-is-not-listed',
  } satisfies ErrorDefinition<{ packageName: string; version: string; jobMessage: string }>,
});
