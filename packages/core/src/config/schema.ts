import { z } from 'zod';
import { attestSchema } from './attest-schema.js';
import { requestTimeoutSchema } from './request-timeout.js';

/**
 * The one description of phpublish's options. Types, defaults, the JSON schema and the options
 * table in docs/configuration.md are all derived from it, so they cannot disagree.
 */
export const packagistConfirmSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Wait until Packagist serves the new version at the tagged commit before calling the release done.'),
    timeout: z
      .number()
      .int()
      .positive()
      .max(24 * 3600)
      .default(600)
      .describe('How many seconds to wait for Packagist to serve the version.'),
    onTimeout: z
      .enum(['fail', 'warn'])
      .default('fail')
      .describe('What a timeout does: `fail` the release, or `warn` and carry on (the version may appear later).'),
  })
  .describe('Confirmation that Packagist serves the release.');

export const privatePackagistSchema = z
  .strictObject({
    organization: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'Must be the organisation’s URL name, e.g. `acme-org`')
      .optional()
      .describe('The organisation’s URL name on Private Packagist (needed by `packagist.mode: private-packagist`).'),
    url: z
      .url({ protocol: /^https?$/ })
      .default('https://packagist.com')
      .describe('Base URL of Private Packagist (its API is under `/api`); a self-hosted instance’s own address.'),
    repositoryUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'The organisation’s Composer repository, read to confirm the release. Default: https://repo.packagist.com/<organization>. When it needs authentication, confirmation is skipped with a notice.',
      ),
    packageType: z
      .enum(['auto', 'artifact', 'vcs'])
      .default('auto')
      .describe(
        'What kind of package it is on Private Packagist: `artifact` publishes the dist zip with trusted publishing; `vcs` sends nothing (Private Packagist’s code-hosting synchronisation picks the pushed tag up) and confirms the version at the tagged commit; `auto` reads the organisation’s Composer repository (a package listed from its repository is `vcs`, anything else `artifact`).',
      ),
  })
  .describe('Private Packagist trusted publishing (`packagist.mode: private-packagist`).');

export const packagistSchema = z
  .strictObject({
    mode: z
      .enum(['auto', 'token', 'github-app', 'private-packagist', 'off'])
      .default('auto')
      .describe(
        'How Packagist learns about the release: `token` calls update-package with PACKAGIST_USERNAME and PACKAGIST_API_TOKEN; `github-app` sends nothing and relies on the Packagist GitHub App (or webhook), then confirms; `private-packagist` publishes the dist zip as an artifact on Private Packagist with a short-lived credential from GitHub Actions’ OIDC token (no stored secret; see `privatePackagist`); `auto` uses the token when it is set, else `github-app`; `off` skips Packagist entirely.',
      ),
    url: z
      .url({ protocol: /^https?$/ })
      .default('https://packagist.org')
      .describe('Base URL of the Packagist API (update-package, create-package, jobs).'),
    repoUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://repo.packagist.org')
      .describe('Base URL of the Composer repository that serves p2 metadata (used to confirm the release).'),
    packageName: z
      .string()
      .optional()
      .describe('The Composer package name (`vendor/name`). Default: the `name` in composer.json.'),
    repositoryUrl: z
      .string()
      .optional()
      .describe(
        'The public repository URL Packagist knows the package by. Default: the CI’s repository URL, else the `origin` remote. Credentials in it are always stripped.',
      ),
    createIfMissing: z
      .boolean()
      .default(false)
      .describe(
        'Create the package on Packagist when it does not exist yet (needs the main API token, not the SAFE one). Off by default: publishing a new package should be a deliberate act.',
      ),
    requestTimeout: requestTimeoutSchema('to Packagist'),
    confirm: packagistConfirmSchema.prefault({}),
    privatePackagist: privatePackagistSchema.prefault({}),
    oidc: z
      .enum(['auto', 'required', 'off'])
      .default('auto')
      .describe(
        'Trusted publishing (docs/oidc.md): `auto` exchanges the CI job’s ID token for a short-lived credential when Packagist offers an OIDC token exchange, else uses the API token (with a one-line notice); `required` fails when no exchange is available; `off` never tries.',
      ),
    oidcPublisher: z
      .strictObject({
        repository: z.string().min(1).describe('`owner/name` (GitHub) or `group/project` (GitLab).'),
        workflow: z
          .string()
          .min(1)
          .describe('The workflow file: `release.yml`, `.github/workflows/release.yml` or `.gitlab-ci.yml`.'),
        environment: z.string().min(1).optional().describe('The CI environment the release job runs in, if any.'),
      })
      .optional()
      .describe(
        'The trusted publisher registered on Packagist. When set, phpublish checks the CI token against it before the exchange, so a mismatch gets a clear error.',
      ),
  })
  .describe('Packagist notification and confirmation.');

const fingerprintSchema = z.string().refine((value) => /^(0x)?[0-9a-f]{40}!?$/i.test(value.replace(/\s+/g, '')), {
  message: 'Must be a 40-hex-digit OpenPGP v4 fingerprint',
});

export const signingSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .optional()
      .describe(
        'Sign release tags with OpenPGP. Default: on when a private key is set (PHPUBLISH_GPG_PRIVATE_KEY or `signing.key`). `true` makes a missing key an error; `false` never signs, even with a key.',
      ),
    key: z
      .string()
      .optional()
      .describe(
        'The ASCII-armored private key. Discouraged: prefer the secret PHPUBLISH_GPG_PRIVATE_KEY (option files get committed). When set, it wins over the variable.',
      ),
    passphrase: z
      .string()
      .optional()
      .describe(
        'The passphrase of the private key. Discouraged: prefer the secret PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE.',
      ),
    trustedKeys: z
      .array(z.string())
      .default([])
      .describe(
        'ASCII-armored public keys whose signatures verification accepts, besides the signing key’s own. Each entry may hold several keys.',
      ),
    trustedFingerprints: z
      .array(fingerprintSchema)
      .default([])
      .describe(
        'When not empty, verification accepts only signatures by keys with these primary fingerprints (40 hex digits; spaces allowed). Pins the keys; it cannot replace them.',
      ),
    pushTimeout: z
      .number()
      .int()
      .positive()
      .max(3600)
      .default(300)
      .describe(
        'Seconds the `git push` of the release tag may take (the upload and the remote’s checks); then git and what it started are stopped and the release fails with TAG_PUSH_TIMED_OUT (re-running resumes).',
      ),
  })
  .describe('OpenPGP-signed release tags.');

export const configSchema = z
  .strictObject({
    packagist: packagistSchema.prefault({}),
    signing: signingSchema.prefault({}),
    attest: attestSchema.prefault({}),
    report: z
      .strictObject({
        releaseNotes: z
          .boolean()
          .default(false)
          .describe(
            'Also append the posture table to the GitHub release notes (needs `contents: write`); it always goes to the log and to $GITHUB_STEP_SUMMARY.',
          ),
      })
      .prefault({})
      .describe('Where the posture table of each release is reported.'),
  })
  .describe('phpublish options.');

/** Options as a user writes them (everything optional). */
export type PhpublishOptions = z.input<typeof configSchema>;
/** Options after defaults. */
export type PhpublishConfig = z.output<typeof configSchema>;
export type PackagistConfig = PhpublishConfig['packagist'];
export type SigningConfig = PhpublishConfig['signing'];

/** The environment variables phpublish reads, with what they are for (drives the docs table). */
export const environmentVariables = [
  { name: 'PACKAGIST_USERNAME', secret: false, description: 'Your Packagist username (token mode).' },
  {
    name: 'PACKAGIST_API_TOKEN',
    secret: true,
    description:
      'Your Packagist API token (token mode). The SAFE token is enough for updates; creating a package needs the main token.',
  },
  {
    name: 'PACKAGIST_ID_TOKEN',
    secret: true,
    description:
      'GitLab CI: the `id_tokens:` variable whose `aud` is the audience Packagist’s OIDC token exchange names (`packagist.oidc`, docs/oidc.md). GitLab sets it for the job; it is not a stored secret.',
  },
  {
    name: 'GITHUB_SERVER_URL',
    secret: false,
    description: 'Set by GitHub Actions; with GITHUB_REPOSITORY gives the repository URL.',
  },
  { name: 'GITHUB_REPOSITORY', secret: false, description: 'Set by GitHub Actions (`owner/repo`).' },
  { name: 'CI_PROJECT_URL', secret: false, description: 'Set by GitLab CI; the repository URL.' },
  {
    name: 'PHPUBLISH_GPG_PRIVATE_KEY',
    secret: true,
    description:
      'The ASCII-armored OpenPGP private key that signs release tags (`gpg --armor --export-secret-keys <fingerprint>`). Also read by `phpublish-gpg`.',
  },
  {
    name: 'PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE',
    secret: true,
    description:
      'The passphrase of PHPUBLISH_GPG_PRIVATE_KEY, when it has one. Named so that semantic-release masks its value in every plugin’s output. Also read by `phpublish-gpg`.',
  },
  {
    name: 'PHPUBLISH_GPG_PASSPHRASE',
    secret: true,
    description:
      'Former name of PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE, still read (with a notice) when that is not set. semantic-release does not mask this name: rename the secret.',
  },
  {
    name: 'PHPUBLISH_GPG_TRUSTED_KEYS',
    secret: false,
    description:
      'ASCII-armored public keys that `phpublish-gpg --verify` accepts besides the signing key’s own (for `git verify-tag` on machines without the private key).',
  },
] as const;
