import { z } from 'zod';
import { requestTimeoutSchema } from './request-timeout.js';

const httpUrl = () => z.url({ protocol: /^https?$/ });

/**
 * Options of the attestation step (layer 2): a Sigstore-signed SLSA provenance statement for each
 * release, and where it is stored. Joined into the main schema as `attest`.
 */
export const attestSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Attest each release with a keyless Sigstore signature made with the CI’s OIDC identity (GitHub Actions or GitLab CI). Elsewhere, preflight fails with ATTEST_CI_UNSUPPORTED; set `false` to release without attestation.',
      ),
    fulcioUrl: httpUrl()
      .default('https://fulcio.sigstore.dev')
      .describe(
        'Base URL of the Fulcio certificate authority that turns the CI’s ID token into a signing certificate.',
      ),
    rekorUrl: httpUrl()
      .default('https://rekor.sigstore.dev')
      .describe('Base URL of the Rekor transparency log the signature is recorded in.'),
    tsaUrl: httpUrl()
      .optional()
      .describe(
        'Base URL of an RFC 3161 timestamp authority (e.g. https://timestamp.sigstore.dev) whose timestamp is added to the bundle. None by default: the Rekor entry dates the signature.',
      ),
    sigstore: z
      .enum(['auto', 'public-good', 'github'])
      .default('auto')
      .describe(
        'The Sigstore instance that signs. `auto` chooses by the repository’s visibility, as actions/attest does: public → the public-good instance (`fulcioUrl`, `rekorUrl`, `tsaUrl`), whose transparency log is public; private or internal → GitHub’s own instance (`githubFulcioUrl`, `githubTsaUrl`), which has no public log. When the visibility is not known, the release stops (ATTEST_VISIBILITY_UNKNOWN) rather than publish a private repository’s provenance. A private GitLab project has no private instance: ATTEST_PRIVATE_NO_INSTANCE unless `public-good` is chosen.',
      ),
    githubFulcioUrl: httpUrl()
      .default('https://fulcio.githubapp.com')
      .describe('Base URL of the Fulcio of GitHub’s Sigstore instance (private and internal GitHub repositories).'),
    githubTsaUrl: httpUrl()
      .default('https://timestamp.githubapp.com')
      .describe(
        'Base URL of the timestamp authority of GitHub’s Sigstore instance: its timestamp dates the signature, as there is no transparency log.',
      ),
    identityTokenVariable: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default('SIGSTORE_ID_TOKEN')
      .describe('GitLab CI: the variable declared under `id_tokens:` (with `aud: sigstore`) that holds the ID token.'),
    storeReleaseAsset: z
      .boolean()
      .default(true)
      .describe(
        'GitHub: attach the bundle to the release as `<vendor>-<name>-<version>.sigstore.json`, beside the zip (needs `contents: write`).',
      ),
    storeGitHubAttestation: z
      .boolean()
      .default(true)
      .describe(
        'GitHub: also store the bundle in the repository’s attestation store, where `gh attestation verify` finds it (needs `attestations: write`).',
      ),
    storeGitLabReleaseLink: z
      .boolean()
      .default(true)
      .describe(
        'GitLab: upload the bundle to the project’s generic package registry and link it from the release as `<vendor>-<name>-<version>.sigstore.json`.',
      ),
    githubApiUrl: httpUrl()
      .optional()
      .describe(
        'Base URL of the GitHub REST API. Default: GITHUB_API_URL (set by GitHub Actions), else https://api.github.com.',
      ),
    gitlabApiUrl: httpUrl()
      .optional()
      .describe(
        'Base URL of the GitLab REST API (v4). Default: CI_API_V4_URL (set by GitLab CI), else https://gitlab.com/api/v4.',
      ),
    requestTimeout: requestTimeoutSchema('(token service, Sigstore, GitHub, GitLab)'),
  })
  .describe('Sigstore build-provenance attestation of each release.');

/** Attestation options as a user writes them. */
export type AttestOptionsInput = z.input<typeof attestSchema>;
/** Attestation options after defaults. */
export type AttestConfig = z.output<typeof attestSchema>;
