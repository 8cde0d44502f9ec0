import { z } from 'zod';

const httpUrl = () => z.url({ protocol: /^https?$/ });

/** `acme/hello` (one package) or `acme/*` (every package of the vendor). */
export const POLICY_KEY = /^[a-z0-9]([_.-]?[a-z0-9]+)*\/([a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*|\*)$/;

/**
 * Who may have built a release: compared exactly with the attestation's signing certificate
 * (never as a pattern). `{vendor}`, `{name}` and `{tag}` are replaced before comparing.
 */
export const identitySchema = z
  .strictObject({
    platform: z
      .enum(['github-actions', 'gitlab-ci'])
      .default('github-actions')
      .describe('The CI that signs: it decides how the workflow identity is written.'),
    issuer: httpUrl()
      .optional()
      .describe(
        'The OIDC issuer, exactly. Default: https://token.actions.githubusercontent.com for GitHub Actions, the server URL for GitLab CI.',
      ),
    serverUrl: httpUrl()
      .optional()
      .describe('The forge: https://github.com (default for GitHub Actions) or https://gitlab.com, or your own host.'),
    repository: z
      .string()
      .regex(/^[^\s/]+(\/[^\s/]+)+$/, 'must be owner/name')
      .describe(
        'The repository the release workflow ran in: `owner/name` (GitLab: `group/…/project`). In a vendor entry, `{vendor}` and `{name}` stand for the package’s, e.g. `acme/{name}`.',
      ),
    workflow: z
      .string()
      .min(1)
      .describe(
        'Path of the workflow file that signs, e.g. `.github/workflows/release.yml` (GitLab: `.gitlab-ci.yml`).',
      ),
    workflowRepository: z
      .string()
      .regex(/^[^\s/]+(\/[^\s/]+)+$/, 'must be owner/name')
      .optional()
      .describe('The repository that holds `workflow` when it is a reusable workflow elsewhere.'),
    ref: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The ref the signing run was for, exactly, e.g. `refs/heads/main`, or `refs/tags/{tag}` for the release’s own tag. Any ref when absent.',
      ),
  })
  .describe('A release identity: the workflow of a repository, on a CI whose OIDC issuer is given.');

export const policyEntrySchema = z
  .strictObject({
    keys: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Files with the ASCII-armored OpenPGP public keys whose signatures on release tags are trusted (`gpg --armor --export <fingerprint>`), relative to the policy file.',
      ),
    fingerprints: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'When not empty, only the keys with one of these primary-key fingerprints are trusted (pinning: a fingerprint alone cannot verify).',
      ),
    identities: z
      .array(identitySchema)
      .default([])
      .describe('The release identities an attestation may be signed by; one match is enough.'),
    trustedRoot: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Sigstore trusted_root.json for this entry, relative to the policy file; the policy’s `trustedRoot` by default.',
      ),
    requireSignedTag: z
      .boolean()
      .default(true)
      .describe('The version’s tag must be signed by one of `keys`. When false the signature is not checked.'),
    requireAttestation: z
      .boolean()
      .default(true)
      .describe(
        'An attestation by one of `identities` must cover what Composer installs. When false neither the attestation nor the content is checked.',
      ),
  })
  .superRefine((entry, context) => {
    if (entry.requireSignedTag && entry.keys.length === 0) {
      context.addIssue({ code: 'custom', path: ['keys'], message: 'requireSignedTag needs at least one key file' });
    }
    if (entry.requireAttestation && entry.identities.length === 0) {
      context.addIssue({
        code: 'custom',
        path: ['identities'],
        message: 'requireAttestation needs at least one identity',
      });
    }
  })
  .describe('What is trusted for one package or for every package of a vendor.');

export const policySchema = z
  .strictObject({
    $schema: z.string().optional().describe('The JSON schema of this file, for editors.'),
    packagistUrl: httpUrl()
      .optional()
      .describe('The Composer repository that serves p2 metadata. Default: https://repo.packagist.org.'),
    githubApiUrl: httpUrl()
      .optional()
      .describe('GitHub’s REST API, where attestations and release assets are read. Default: https://api.github.com.'),
    trustedRoot: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Sigstore trusted_root.json, relative to the policy file. Default: the public-good instance’s, loaded through its TUF repository.',
      ),
    packages: z
      .record(z.string().regex(POLICY_KEY, 'must be vendor/name or vendor/*'), policyEntrySchema)
      .describe(
        'Entries by package (`acme/hello`) or vendor (`acme/*`). The package’s own entry wins over its vendor’s; entries are not merged.',
      ),
  })
  .describe('Which keys and release identities phpublish verify trusts, per package or vendor.');

export type PolicyIdentity = z.output<typeof identitySchema>;
export type PolicyEntry = z.output<typeof policyEntrySchema>;
export type PolicyFile = z.output<typeof policySchema>;

/** The JSON schema of the policy file (docs/policy.schema.json): what users write, so defaults are optional. */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://github.com/phpublish/phpublish/blob/main/docs/policy.schema.json',
    title: 'phpublish verification policy',
  };
}
