import type { AttestConfig } from '../config/attest-schema.js';
import { PhpublishError } from '../errors/index.js';
import { detectCiPlatform } from './ci.js';
import { type AttestDeps, httpDeps } from './deps.js';
import { gitHubApiFor, gitHubToken, gitLabToken } from './forges.js';
import { type GitHubRepositoryApi, probeAttestationsWrite, releaseImmutability } from './github-store.js';
import { type IdentityToken, readIdentityToken } from './id-token.js';
import { sigstoreInstanceProblem } from './sigstore-instance.js';

/**
 * Everything that would stop the attestation step, found before anything is published: a supported
 * CI, its permission to issue an ID token, and the tokens and permissions the configured stores need.
 * Returns every problem; changes nothing anywhere.
 */
export async function preflightAttestation(config: AttestConfig, deps: AttestDeps): Promise<PhpublishError[]> {
  if (!config.enabled) return [];
  const { env, redactor } = deps;
  const platform = detectCiPlatform(env);
  if (!platform) return [new PhpublishError('ATTEST_CI_UNSUPPORTED')];
  const problems: PhpublishError[] = [];

  if (platform === 'gitlab-ci') {
    const token = env[config.identityTokenVariable]?.trim();
    let identity: IdentityToken | undefined;
    if (!token)
      problems.push(new PhpublishError('ATTEST_ID_TOKEN_MISSING', { variable: config.identityTokenVariable }));
    else {
      try {
        identity = readIdentityToken('gitlab-ci', token, { redactor, nowMs: deps.clock.now() });
      } catch (error) {
        if (!(error instanceof PhpublishError)) throw error;
        problems.push(error);
      }
    }
    const instanceProblem = await sigstoreInstanceProblem(config, { platform, env, claims: identity?.claims });
    if (instanceProblem) problems.push(instanceProblem);
    if (config.storeGitLabReleaseLink && !gitLabToken(env, redactor)) {
      problems.push(new PhpublishError('ATTEST_GITLAB_TOKEN_MISSING'));
    }
    return problems;
  }

  // The ID token is requested only to sign: here the event payload alone can tell the visibility.
  const instanceProblem = await sigstoreInstanceProblem(config, { platform, env });
  if (instanceProblem) problems.push(instanceProblem);
  redactor.add(env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']);
  if (!env['ACTIONS_ID_TOKEN_REQUEST_URL']?.trim() || !env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']?.trim()) {
    problems.push(new PhpublishError('ATTEST_ID_TOKEN_PERMISSION_MISSING'));
  }
  if (config.storeReleaseAsset || config.storeGitHubAttestation) {
    const token = gitHubToken(env, redactor);
    if (!token) problems.push(new PhpublishError('ATTEST_GITHUB_TOKEN_MISSING'));
    else {
      const api = gitHubApiFor({ env, config, token, http: httpDeps(deps, config.requestTimeout), redactor });
      if (config.storeGitHubAttestation) {
        try {
          const refused = await probeAttestationsWrite(api);
          if (refused) problems.push(refused);
        } catch (error) {
          if (!(error instanceof PhpublishError)) throw error;
          problems.push(error);
        }
      }
      if (config.storeReleaseAsset) await sayHowImmutableReleasesGo(api, config, deps);
    }
  }
  return problems;
}

/**
 * Where release immutability is on, says before anything happens how the zip and bundle reach the
 * release: onto its draft, which phpublish publishes last; a release already published takes no
 * assets, so the bundle goes to the attestation store only, or (that store off) the release stops
 * with ATTEST_RELEASE_IMMUTABLE before anything is signed. Not knowing the setting is no problem.
 */
async function sayHowImmutableReleasesGo(
  api: GitHubRepositoryApi,
  config: AttestConfig,
  deps: AttestDeps,
): Promise<void> {
  let immutability: Awaited<ReturnType<typeof releaseImmutability>>;
  try {
    immutability = await releaseImmutability(api);
  } catch (error) {
    if (!(error instanceof PhpublishError)) throw error;
    return;
  }
  if (immutability !== 'on') return;
  const published = config.storeGitHubAttestation
    ? 'A release that is already published takes no assets: its bundle goes to GitHub’s attestation store only, and the zip is not attached.'
    : 'A release that is already published takes no assets, and the attestation store is off: the release would stop with ATTEST_RELEASE_IMMUTABLE before anything is signed.';
  deps.logger.info(
    `Attestation: release immutability is on in ${api.repository}. phpublish attaches the zip and bundle while the release is a draft and publishes it last: have your release tool create it as a draft (semantic-release: \`draftRelease: true\`; release-it: \`github.draft: true\`). ${published}`,
  );
}
