import { z } from 'zod';

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

export const packagistSchema = z
  .strictObject({
    mode: z
      .enum(['auto', 'token', 'github-app', 'off'])
      .default('auto')
      .describe(
        'How Packagist learns about the release: `token` calls update-package with PACKAGIST_USERNAME and PACKAGIST_API_TOKEN; `github-app` sends nothing and relies on the Packagist GitHub App (or webhook), then confirms; `auto` uses the token when it is set, else `github-app`; `off` skips Packagist entirely.',
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
    requestTimeout: z
      .number()
      .int()
      .positive()
      .max(600)
      .default(30)
      .describe('Seconds one HTTP request to Packagist may take before it is retried.'),
    confirm: packagistConfirmSchema.prefault({}),
  })
  .describe('Packagist notification and confirmation.');

export const configSchema = z
  .strictObject({
    packagist: packagistSchema.prefault({}),
  })
  .describe('phpublish options.');

/** Options as a user writes them (everything optional). */
export type PhpublishOptions = z.input<typeof configSchema>;
/** Options after defaults. */
export type PhpublishConfig = z.output<typeof configSchema>;
export type PackagistConfig = PhpublishConfig['packagist'];

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
    name: 'GITHUB_SERVER_URL',
    secret: false,
    description: 'Set by GitHub Actions; with GITHUB_REPOSITORY gives the repository URL.',
  },
  { name: 'GITHUB_REPOSITORY', secret: false, description: 'Set by GitHub Actions (`owner/repo`).' },
  { name: 'CI_PROJECT_URL', secret: false, description: 'Set by GitLab CI; the repository URL.' },
] as const;
