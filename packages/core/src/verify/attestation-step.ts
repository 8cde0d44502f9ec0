import type { IdentityPolicy } from '../attest/identity-policy.js';
import { parseContentDigest } from '../attest/subjects.js';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { type AcceptedAttestation, acceptAttestation, furthest } from './attestation-check.js';
import { type FoundBundle, findAttestations } from './attestation-sources.js';
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
  const gitHub = identities.find((identity) => identity.platform === 'github-actions');
  if (!gitHub) {
    throw missing([
      'nowhere: phpublish verify reads attestations from GitHub, and the policy names no GitHub identity',
    ]);
  }
  input.log(`looking for the attestation in ${gitHub.repository}`);
  const sources = await findAttestations({
    session,
    repository: gitHub.repository,
    packageName: facts.packageName,
    tag: facts.version,
    contentSha256: parseContentDigest(input.contentDigest).sha256,
  });
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
