import { defineErrors, type ErrorDefinition } from './definition.js';

/**
 * Packagist's OIDC path (`packagist.oidc`): exchanging the CI job's ID token for a short-lived
 * credential instead of a stored API token. No message ever holds a token, credential or signature.
 */
export const oidcErrors = defineErrors({
  PACKAGIST_OIDC_NOT_OFFERED: {
    title: 'Packagist offers no OIDC token exchange',
    message: (p: { url: string; detail: string }) =>
      `\`packagist.oidc\` is \`required\`, but ${p.url} offers no OIDC token exchange (${p.detail}).`,
    remedy: () =>
      'packagist.org does not offer trusted publishing yet: set `packagist.oidc` to `auto` (the default; it uses the API token until the exchange exists) and keep PACKAGIST_USERNAME and PACKAGIST_API_TOKEN for now, or check `packagist.url`.',
    docs: 'oidc.md#configuration',
  } satisfies ErrorDefinition<{ url: string; detail: string }>,
  PACKAGIST_OIDC_NO_CI_TOKEN: {
    title: 'The CI job has no ID token for Packagist',
    message: (p: { reason: string; audience?: string; variable: string }) =>
      `\`packagist.oidc\` is \`required\`, but this job cannot get an ID token for Packagist: ${p.reason}.`,
    remedy: (p: { reason: string; audience?: string; variable: string }) =>
      `Run the release in GitHub Actions with \`permissions: id-token: write\` on the job, or in GitLab CI with\n  id_tokens:\n    ${p.variable}:\n      aud: ${p.audience ?? '<the audience Packagist names at /api/oidc/exchange>'}`,
    docs: 'oidc.md#ci-setup',
  } satisfies ErrorDefinition<{ reason: string; audience?: string; variable: string }>,
  PACKAGIST_OIDC_EXCHANGE_FAILED: {
    title: 'The OIDC token exchange could not be used',
    message: (p: { url: string; problem: string }) => `The OIDC token exchange at ${p.url} failed: ${p.problem}.`,
    remedy: () =>
      'Run the release again (a new run gets a new ID token); if it keeps failing, set `packagist.oidc: auto` to fall back to the API token while Packagist’s exchange is down.',
    docs: 'oidc.md#configuration',
  } satisfies ErrorDefinition<{ url: string; problem: string }>,
  PACKAGIST_OIDC_EXCHANGE_REFUSED: {
    title: 'Packagist refused to exchange the CI token',
    message: (p: { packageName: string; status: number; serverMessage: string }) =>
      `Packagist refused to exchange this job’s ID token for a credential for ${p.packageName} (HTTP ${p.status}: ${p.serverMessage}).`,
    remedy: () =>
      'On the package’s Packagist page, register this repository and workflow file (and environment, if the job runs in one) as a trusted publisher, exactly as `packagist.oidcPublisher` names them; then run the release again.',
    docs: 'oidc.md#trusted-publishers',
  } satisfies ErrorDefinition<{ packageName: string; status: number; serverMessage: string }>,
  PACKAGIST_OIDC_PUBLISHER_MISMATCH: {
    title: 'The CI job is not the trusted publisher configured',
    message: (p: { mismatches: string[] }) =>
      `This job is not the trusted publisher \`packagist.oidcPublisher\` names: ${p.mismatches.join('; ')}.`,
    remedy: () =>
      'Release from the repository, workflow file and environment registered on Packagist, or correct `packagist.oidcPublisher` to name them (the workflow as its file name, e.g. `release.yml`, or its path).',
    docs: 'oidc.md#configuration',
  } satisfies ErrorDefinition<{ mismatches: string[] }>,
  PACKAGIST_OIDC_CREDENTIAL_REJECTED: {
    title: 'Packagist refused its own short-lived credential',
    message: (p: { detail: string }) =>
      `update-package refused the short-lived credential from the OIDC exchange: ${p.detail}`,
    remedy: () =>
      'The credential is valid for about ten minutes and for one package: check that `packagist.repositoryUrl` names the repository of the package the trusted publisher is registered for, and run the release again.',
    docs: 'oidc.md#trusted-publishers',
  } satisfies ErrorDefinition<{ detail: string }>,
  PACKAGIST_OIDC_MODE_CONFLICT: {
    title: '`packagist.oidc: required` with a mode that sends nothing',
    message: (p: { mode: string }) =>
      `\`packagist.oidc\` is \`required\`, but \`packagist.mode\` is \`${p.mode}\`, which never calls update-package.`,
    remedy: () => 'Set `packagist.mode` to `auto` (or `token`) to publish through the OIDC exchange.',
    docs: 'oidc.md#configuration',
  } satisfies ErrorDefinition<{ mode: string }>,
});
