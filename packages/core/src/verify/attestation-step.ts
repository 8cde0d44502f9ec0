import type { IdentityPolicy } from '../attest/identity-policy.js';
import { parseContentDigest } from '../attest/subjects.js';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { type AcceptedAttestation, acceptAttestation, furthest } from './attestation-check.js';
import {
  type AttestationSources,
  type FoundBundle,
  findAttestations,
  findGitLabAttestations,
  type GitLabAttestations,
} from './attestation-sources.js';
import type { ResolvedPolicyEntry } from './policy.js';
import type { ReleaseFacts } from './resolve-release.js';
import type { VerifySession } from './session.js';

/**
 * Finds the attestation of a release and accepts it: authentic (signature, certificate chain,
 * transparency log, timestamps), from one of the policy's identities, for this package and
 * version, covering the content digest of what Composer installs (and the release zip's SHA-256
 * when the release carries the zip). Throws the failure of the candidate that got furthest, or
 * VERIFY_ATTESTATION_MISSING.
 */
export async function findAcceptedAttestation(input: {
  facts: ReleaseFacts;
  identities: readonly IdentityPolicy[];
  entry: ResolvedPolicyEntry;
  contentDigest: string;
  session: VerifySession;
  log: (message: string) => void;
}): Promise<{ accepted: AcceptedAttestation; zip?: { name: string; sha256: string } }> {
  const { facts, identities, session } = input;
  const missing = (looked: string[]) =>
    new PhpublishError('VERIFY_ATTESTATION_MISSING', {
      packageName: facts.packageName,
      version: facts.version,
      looked,
    });
  const sources = await lookEverywhere(input);
  const trustedRoot = input.entry.trustedRoot ?? (await session.publicGoodRoot());
  const accept = async (bundles: FoundBundle[]) => ({
    accepted: await acceptAttestation({
      bundles,
      identities,
      trustedRoot,
      ...(session.cache ? { cache: session.cache } : {}),
      expected: {
        packageName: facts.packageName,
        version: facts.version,
        commit: facts.commit,
        subjects: { contentDigest: input.contentDigest, ...(sources.zip ? { zip: sources.zip } : {}) },
      },
    }),
    ...(sources.zip ? { zip: sources.zip } : {}),
  });

  const failures: PhpublishError[] = [];
  // The store's bundles came with the release listing; the release asset is only fetched if they fail.
  if (sources.stored.length > 0) {
    try {
      return await accept(sources.stored);
    } catch (error) {
      if (!isPhpublishError(error)) throw error;
      failures.push(error);
    }
  }
  let asset: FoundBundle | undefined;
  try {
    asset = await sources.releaseAsset();
  } catch (error) {
    if (!isPhpublishError(error)) throw error;
    sources.fetchError ??= error;
  }
  if (asset) {
    try {
      return await accept([asset]);
    } catch (error) {
      if (!isPhpublishError(error)) throw error;
      // The asset is named for this version: on a tie, its failure is the one to report.
      failures.unshift(error);
    }
  }
  throw furthest(failures) ?? sources.fetchError ?? missing(sources.looked);
}

/** `https://gitlab.com` → `https://gitlab.com/api/v4`: where a GitLab instance serves its REST API. */
const gitLabApiOf = (serverUrl: string) => `${serverUrl.replace(/\/+$/, '')}/api/v4`;

/**
 * The attestations of a release wherever the policy's identities release: GitHub (release asset
 * and attestation store) for a GitHub Actions identity, GitLab (release link and generic package)
 * for a GitLab CI one; both when the policy names both. The repository always comes from the
 * policy, never from Packagist.
 */
async function lookEverywhere(input: {
  facts: ReleaseFacts;
  identities: readonly IdentityPolicy[];
  contentDigest: string;
  session: VerifySession;
  log: (message: string) => void;
}): Promise<AttestationSources> {
  const { facts, identities, session } = input;
  const gitHub = identities.find((identity) => identity.platform === 'github-actions');
  const gitLab = identities.find((identity) => identity.platform === 'gitlab-ci');
  const where = [gitHub?.repository, gitLab && `${gitLab.repository} on GitLab`].filter(Boolean).join(' and ');
  input.log(`looking for the attestation in ${where}`);
  const [fromGitHub, fromGitLab] = await Promise.all([
    gitHub
      ? findAttestations({
          session,
          repository: gitHub.repository,
          packageName: facts.packageName,
          tag: facts.version,
          contentSha256: parseContentDigest(input.contentDigest).sha256,
        })
      : undefined,
    gitLab
      ? findGitLabAttestations({
          session,
          apiUrl: session.endpoints.gitlabApiUrl ?? gitLabApiOf(gitLab.serverUrl),
          project: gitLab.repository,
          packageName: facts.packageName,
          tag: facts.version,
        })
      : undefined,
  ]);
  return merged(fromGitHub, fromGitLab);
}

/** GitHub's sources with GitLab's bundles tried after the store's (they were fetched already). */
function merged(gitHub: AttestationSources | undefined, gitLab: GitLabAttestations | undefined): AttestationSources {
  const base: AttestationSources = gitHub ?? { stored: [], looked: [], releaseAsset: async () => undefined };
  if (!gitLab) return base;
  const fetchError = base.fetchError ?? gitLab.fetchError;
  return {
    ...base,
    stored: [...base.stored, ...gitLab.found],
    looked: [...base.looked, ...gitLab.looked],
    ...(fetchError ? { fetchError } : {}),
  };
}
