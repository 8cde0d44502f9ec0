import type { AttestConfig } from '../config/attest-schema.js';
import { PhpublishError } from '../errors/index.js';
import { INPUT_LIMITS, InputFileProblem, readInputJson } from '../input/index.js';
import { type CiPlatform, ciName, type Env } from './ci.js';
import type { IdentityClaims } from './id-token.js';
import type { SigstoreEndpoints } from './sign.js';

/** How GitHub and GitLab name a repository's visibility. */
export type RepositoryVisibility = 'public' | 'internal' | 'private';

export type SigstoreInstanceName = 'public-good' | 'github';

/** The instance that signs, and where its services are. */
export interface SigstoreInstance extends SigstoreEndpoints {
  name: SigstoreInstanceName;
}

/** The claim of each CI's ID token that names the visibility (Fulcio copies it into the certificate). */
const VISIBILITY_CLAIM: Record<CiPlatform, string> = {
  'github-actions': 'repository_visibility',
  'gitlab-ci': 'project_visibility',
};

/** From most to least private: when two sources disagree, the more private one wins. */
const VISIBILITIES: readonly RepositoryVisibility[] = ['private', 'internal', 'public'];

/** The visibility the CI's ID token states, when it states one. */
export function visibilityClaim(platform: CiPlatform, claims: IdentityClaims): string | undefined {
  const value = claims[VISIBILITY_CLAIM[platform]];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Whether the repository is public, private or internal, from everything the job has that says so:
 * the ID token's claim (signed by the CI), and GitHub's event payload (what actions/attest reads) or
 * GitLab's CI_PROJECT_VISIBILITY. The most private answer wins; an answer that is none of the three
 * makes the visibility unknown, as does silence. Unknown is never taken as public.
 */
export async function repositoryVisibility(input: {
  platform: CiPlatform;
  env: Env;
  claims?: IdentityClaims;
}): Promise<RepositoryVisibility | undefined> {
  const { platform, env, claims } = input;
  const answers = [
    claims ? visibilityClaim(platform, claims) : undefined,
    platform === 'github-actions' ? await eventVisibility(env['GITHUB_EVENT_PATH']) : env['CI_PROJECT_VISIBILITY'],
  ].filter((answer): answer is string => answer !== undefined && answer.trim() !== '');
  if (answers.length === 0) return undefined;
  const known = answers.map((answer) => VISIBILITIES.find((visibility) => visibility === answer.trim().toLowerCase()));
  if (known.includes(undefined)) return undefined;
  return VISIBILITIES.find((visibility) => known.includes(visibility));
}

/** `repository.visibility` of the GitHub event that started the job (or `repository.private`). */
async function eventVisibility(path: string | undefined): Promise<string | undefined> {
  if (!path?.trim()) return undefined;
  let event: unknown;
  try {
    event = await readInputJson(path, { maxBytes: INPUT_LIMITS.lock });
  } catch (error) {
    // No readable event: this source says nothing (the token may still say it).
    if (error instanceof InputFileProblem) return undefined;
    throw error;
  }
  const repository = (event as { repository?: { visibility?: unknown; private?: unknown } } | null)?.repository;
  if (typeof repository?.visibility === 'string') return repository.visibility;
  if (repository?.private === true) return 'private';
  if (repository?.private === false) return 'public';
  return undefined;
}

/**
 * The Sigstore instance a release signs with, as actions/attest chooses it: GitHub's own instance
 * (Fulcio and a timestamp authority, no transparency log) for private and internal repositories,
 * the public-good instance for public ones; or the one `attest.sigstore` names. Throws, before
 * anything is signed, when the choice would publish a private repository's provenance or cannot be made.
 */
export function chooseSigstoreInstance(
  config: Pick<AttestConfig, 'sigstore' | 'fulcioUrl' | 'rekorUrl' | 'tsaUrl' | 'githubFulcioUrl' | 'githubTsaUrl'>,
  job: { platform: CiPlatform; visibility: RepositoryVisibility | undefined; repository: string },
): SigstoreInstance {
  const publicGood = (publicLogAccepted: boolean): SigstoreInstance => ({
    name: 'public-good',
    fulcioUrl: config.fulcioUrl,
    rekorUrl: config.rekorUrl,
    ...(config.tsaUrl ? { tsaUrl: config.tsaUrl } : {}),
    ...(publicLogAccepted ? { publicLogAccepted } : {}),
  });
  const github = (): SigstoreInstance => {
    if (job.platform !== 'github-actions') {
      throw new PhpublishError('ATTEST_GITHUB_INSTANCE_UNAVAILABLE', { ci: ciName(job.platform) });
    }
    return { name: 'github', fulcioUrl: config.githubFulcioUrl, tsaUrl: config.githubTsaUrl };
  };

  if (config.sigstore === 'public-good') return publicGood(true);
  if (config.sigstore === 'github') return github();
  if (job.visibility === undefined) {
    throw new PhpublishError('ATTEST_VISIBILITY_UNKNOWN', { ci: ciName(job.platform), repository: job.repository });
  }
  if (job.visibility === 'public') return publicGood(false);
  if (job.platform === 'gitlab-ci') {
    throw new PhpublishError('ATTEST_PRIVATE_NO_INSTANCE', {
      repository: job.repository,
      visibility: job.visibility,
    });
  }
  return github();
}

/** The repository the job runs for, for messages. */
export function jobRepository(platform: CiPlatform, env: Env): string {
  return (platform === 'github-actions' ? env['GITHUB_REPOSITORY'] : env['CI_PROJECT_PATH'])?.trim() ?? '';
}

/**
 * The instance a job signs with, from its configuration, environment and (once it has one) its ID
 * token's claims. Before the token exists (preflight), only the event or CI variables are read.
 */
export async function sigstoreInstanceFor(
  config: Parameters<typeof chooseSigstoreInstance>[0],
  job: { platform: CiPlatform; env: Env; claims?: IdentityClaims },
): Promise<SigstoreInstance> {
  const visibility = config.sigstore === 'auto' ? await repositoryVisibility(job) : undefined;
  return chooseSigstoreInstance(config, {
    platform: job.platform,
    visibility,
    repository: jobRepository(job.platform, job.env),
  });
}

/**
 * For the preflight, before anything is published: the problem the instance choice will meet, if
 * it is certain already. Without the ID token's claims (GitHub Actions requests the token only when
 * signing), an unknown visibility is not yet a problem: the token will say it.
 */
export async function sigstoreInstanceProblem(
  config: Parameters<typeof chooseSigstoreInstance>[0] & Pick<AttestConfig, 'enabled'>,
  job: { platform: CiPlatform; env: Env; claims?: IdentityClaims },
): Promise<PhpublishError | undefined> {
  if (!config.enabled) return undefined;
  try {
    await sigstoreInstanceFor(config, job);
    return undefined;
  } catch (error) {
    if (!(error instanceof PhpublishError)) throw error;
    if (error.code === 'ATTEST_VISIBILITY_UNKNOWN' && !job.claims) return undefined;
    return error;
  }
}
