import { z } from 'zod';

const httpUrl = () => z.url({ protocol: /^https?$/ });

/** A full ref as the certificate names it; `{tag}` stands for the version's tag. */
const FULL_REF = /^refs\/\S+$/;
const FULL_REF_MESSAGE = 'must be a full ref such as refs/heads/main or refs/tags/{tag}';

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
    workflowRef: z
      .string()
      .regex(/^refs\/(heads|tags)\/\S+$/, 'must be a full ref such as refs/heads/main or refs/tags/v1')
      .optional()
      .describe(
        'The ref of the reusable workflow in `workflowRepository`, exactly, e.g. `refs/heads/main` or `refs/tags/v2`. Required with a `workflowRepository` other than `repository`: the certificate names that ref only inside its SAN.',
      ),
    ref: z
      .union([
        z.string().regex(FULL_REF, FULL_REF_MESSAGE),
        z.array(z.string().regex(FULL_REF, FULL_REF_MESSAGE)).min(1),
      ])
      .optional()
      .describe(
        'Where the signing run may have run, exactly: one ref or a list of them (one match is enough), e.g. `refs/tags/{tag}` for a workflow that runs on the release’s own tag, or `["refs/heads/main"]` for release tools that release from a branch. Any ref when absent (not recommended: then a run on any branch can attest).',
      ),
  })
  .superRefine((identity, context) => {
    const reusable =
      identity.workflowRepository !== undefined &&
      identity.workflowRepository.toLowerCase() !== identity.repository.toLowerCase();
    if (reusable && identity.workflowRef === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['workflowRef'],
        message: 'a reusable workflow in another repository needs its ref pinned (e.g. "refs/heads/main")',
      });
    }
    if (!reusable && identity.workflowRef !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['workflowRef'],
        message: 'applies to a reusable workflow in another `workflowRepository` only (the run’s ref is `ref`)',
      });
    }
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
    gitlabApiUrl: httpUrl()
      .optional()
      .describe(
        'GitLab’s REST API (`…/api/v4`), where release links and the generic packages that hold attestations are read. Default: each GitLab identity’s `serverUrl` + `/api/v4`.',
      ),
    trustedRoot: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Sigstore trusted_root.json, relative to the policy file. Default: the public-good instance’s, offline (the root shipped with phpublish, or a newer one kept by `--refresh-trusted-root`). Bundles of private repositories need GitHub’s root here.',
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
