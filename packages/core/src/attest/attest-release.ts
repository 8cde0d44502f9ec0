import type { AttestConfig } from '../config/attest-schema.js';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { attestedCommitProblem } from './attested-commit.js';
import { type CiPlatform, detectCiPlatform } from './ci.js';
import { type AttestDeps, httpDeps } from './deps.js';
import { gitHubApiFor, gitHubToken, gitLabApiFor, gitLabToken } from './forges.js';
import {
  fetchReleaseAsset,
  releaseAssetsAttachable,
  type StoreOutcome,
  storeGitHubAttestation,
  storeReleaseAsset,
} from './github-store.js';
import { fetchGitLabReleaseLink, storeGitLabReleaseLink } from './gitlab-store.js';
import { claim, obtainIdentityToken } from './id-token.js';
import { provenanceFor } from './provenance.js';
import { type SigstoreBundle, signStatement } from './sign.js';
import { sigstoreInstanceFor } from './sigstore-instance.js';
import { type ProvenanceStatement, provenanceStatement } from './statement.js';
import { claimedSubjects, parseBundleText, sameSubjects } from './stored-bundle.js';
import { type AttestationSubjects, releaseFileNames, toInTotoSubjects } from './subjects.js';

export interface ReleaseToAttest {
  /** `vendor/name`. */
  packageName: string;
  /** The version as the release tool names it (e.g. `1.2.0`): used in file names. */
  version: string;
  /** The release's git tag (e.g. `v1.2.0`): the GitHub/GitLab release is found by it. */
  tag: string;
  /**
   * The commit the tag points at. When given, the job's identity must name it (else
   * ATTEST_OTHER_COMMIT, before anything is signed): releases always give it.
   */
  commit?: string;
}

export type StoreTarget = 'github-release-asset' | 'github-attestation-store' | 'gitlab-release-link';

export interface AttestReleaseResult {
  bundle: SigstoreBundle;
  /** The bundle's file name: `<vendor>-<name>-<version>.sigstore.json`. */
  bundleFileName: string;
  /** True when an earlier run of this release had already signed and stored it (nothing was signed now). */
  reused: boolean;
  stored: { target: StoreTarget; state: StoreOutcome['state']; location: string }[];
}

/**
 * Attests a release: builds the SLSA provenance statement for the CI (GitHub Actions or GitLab CI)
 * over the zip and content subjects, signs it keylessly with the CI's OIDC identity, and stores the
 * bundle where `config` says. Re-runnable: an attestation of the same subjects already on the release
 * is reused (no second signature) and every store keeps what it already holds.
 */
export async function attestRelease(
  config: AttestConfig,
  input: { release: ReleaseToAttest; subjects: AttestationSubjects },
  deps: AttestDeps,
): Promise<AttestReleaseResult> {
  const { env, redactor, logger } = deps;
  const platform = detectCiPlatform(env);
  if (!platform) throw new PhpublishError('ATTEST_CI_UNSUPPORTED');
  const subjects = toInTotoSubjects(input.subjects);
  const bundleFileName = releaseFileNames(input.release.packageName, input.release.version).bundle;
  const http = httpDeps(deps, config.requestTimeout);
  const stores = storesFor(platform, config, deps, http);

  // Stored by an earlier run? (This also proves the release exists before anything is signed.)
  let bundle = await stores.existing(input.release.tag, bundleFileName, subjects);
  const reused = bundle !== undefined;
  if (bundle)
    logger.info(`Attestation: ${bundleFileName} is already on release ${input.release.tag}; not signing again`);
  else {
    const identity = await obtainIdentityToken({
      platform,
      env,
      tokenVariable: config.identityTokenVariable,
      http,
      redactor,
    });
    const { commit, tag } = input.release;
    const otherCommit =
      commit && attestedCommitProblem({ platform, commit: claim(identity.claims, 'sha') }, { tag, commit });
    if (otherCommit) throw otherCommit;
    // By the repository's visibility: a private repository's provenance never reaches the public log.
    const instance = await sigstoreInstanceFor(config, { platform, env, claims: identity.claims });
    const statement: ProvenanceStatement = provenanceStatement(
      subjects,
      provenanceFor(platform, identity.claims, env, new Date(deps.clock.now())),
    );
    bundle = await signStatement({
      statement,
      identity,
      endpoints: instance,
      timeoutMs: config.requestTimeout * 1000,
      retry: http.retry,
      redactor,
    });
    logger.success(
      `Attestation: signed the provenance of ${subjects.map((s) => s.name).join(' and ')} with the ${instance.name} Sigstore instance${logIndexNote(bundle)}`,
    );
  }

  const stored: AttestReleaseResult['stored'] = [];
  for (const store of stores.targets) {
    const outcome = await store.store({
      bundle,
      subjects,
      tag: input.release.tag,
      version: input.release.version,
      bundleFileName,
    });
    stored.push({ target: store.target, ...outcome });
    logger.info(
      `Attestation: ${outcome.state === 'stored' ? 'stored' : 'already stored'} (${store.target}) at ${redactor.redact(outcome.location)}`,
    );
  }
  return { bundle, bundleFileName, reused, stored };
}

function logIndexNote(bundle: SigstoreBundle): string {
  const entries = (bundle as { verificationMaterial?: { tlogEntries?: { logIndex?: string }[] } }).verificationMaterial
    ?.tlogEntries;
  const index = entries?.[0]?.logIndex;
  return index ? ` (transparency log index ${index})` : '';
}

interface StoreStep {
  target: StoreTarget;
  store(input: {
    bundle: SigstoreBundle;
    subjects: ReturnType<typeof toInTotoSubjects>;
    tag: string;
    version: string;
    bundleFileName: string;
  }): Promise<StoreOutcome>;
}

function storesFor(
  platform: CiPlatform,
  config: AttestConfig,
  deps: AttestDeps,
  http: ReturnType<typeof httpDeps>,
): {
  targets: StoreStep[];
  existing(
    tag: string,
    fileName: string,
    subjects: ReturnType<typeof toInTotoSubjects>,
  ): Promise<SigstoreBundle | undefined>;
} {
  const { env, redactor, logger } = deps;
  // This release's bundle, stored by an earlier run: reused. The bundle of another build under that
  // name: the store would refuse to replace it, so it is refused now, before a signature leaves an
  // entry in the public log for a provenance that could never be stored. Anything else (an answer
  // that is no bundle) is left to the store.
  const reusable = (text: string, subjects: ReturnType<typeof toInTotoSubjects>, tag: string, fileName: string) => {
    const bundle = parseBundleText(text);
    const claimed = bundle && claimedSubjects(bundle);
    if (!claimed) return undefined;
    if (sameSubjects(claimed, subjects)) return bundle;
    throw new PhpublishError('ATTEST_RELEASE_ASSET_CONFLICT', { name: fileName, tag });
  };
  const notFoundIsNothing = (error: unknown) => {
    if (isPhpublishError(error, 'ATTEST_NOT_FOUND')) return undefined;
    throw error;
  };

  if (platform === 'github-actions') {
    if (!config.storeReleaseAsset && !config.storeGitHubAttestation)
      return { targets: [], existing: async () => undefined };
    const token = gitHubToken(env, redactor);
    if (!token) throw new PhpublishError('ATTEST_GITHUB_TOKEN_MISSING');
    const api = gitHubApiFor({ env, config, token, http, redactor });
    const targets: StoreStep[] = [];
    if (config.storeReleaseAsset) {
      targets.push({
        target: 'github-release-asset',
        store: (i) =>
          storeReleaseAsset(api, { tag: i.tag, assetName: i.bundleFileName, bundle: i.bundle, subjects: i.subjects }),
      });
    }
    if (config.storeGitHubAttestation) {
      targets.push({
        target: 'github-attestation-store',
        store: (i) => storeGitHubAttestation(api, { bundle: i.bundle, subjects: i.subjects }),
      });
    }
    return {
      targets,
      existing: async (tag, fileName, subjects) => {
        if (!config.storeReleaseAsset) return undefined;
        const attestationStore = config.storeGitHubAttestation;
        if (!(await releaseAssetsAttachable(api, { tag, assetNames: [fileName], attestationStore, logger }))) {
          // A published immutable release takes no assets: the attestation store alone holds the bundle.
          targets.splice(
            targets.findIndex((step) => step.target === 'github-release-asset'),
            1,
          );
          return undefined;
        }
        return fetchReleaseAsset(api, { tag, assetName: fileName }).then(
          (text) => reusable(text, subjects, tag, fileName),
          notFoundIsNothing,
        );
      },
    };
  }

  if (!config.storeGitLabReleaseLink) return { targets: [], existing: async () => undefined };
  const token = gitLabToken(env, redactor);
  if (!token) throw new PhpublishError('ATTEST_GITLAB_TOKEN_MISSING');
  const api = gitLabApiFor({ env, config, token, http, redactor });
  return {
    targets: [
      {
        target: 'gitlab-release-link',
        store: (i) =>
          storeGitLabReleaseLink(api, {
            tag: i.tag,
            version: i.version,
            fileName: i.bundleFileName,
            bundle: i.bundle,
            subjects: i.subjects,
          }),
      },
    ],
    existing: (tag, fileName, subjects) =>
      fetchGitLabReleaseLink(api, { tag, fileName }).then(
        (text) => reusable(text, subjects, tag, fileName),
        notFoundIsNothing,
      ),
  };
}
