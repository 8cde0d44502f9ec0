import { type CiPlatform, detectCiPlatform, type Env } from '../attest/ci.js';
import type { AttestDeps } from '../attest/deps.js';
import { claim, type IdentityClaims, type IdentityToken, obtainIdentityToken } from '../attest/id-token.js';
import type { PackagistConfig } from '../config/schema.js';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { DEFAULT_RETRY, type HttpDeps } from '../http/index.js';
import type { PackagistCredentials } from './credentials.js';
import { discoverOidcExchange, exchangeCiToken, type ShortLivedCredentials } from './oidc-exchange.js';

/** GitLab: the `id_tokens:` variable phpublish reads the Packagist ID token from. */
export const PACKAGIST_ID_TOKEN_VARIABLE = 'PACKAGIST_ID_TOKEN';

export type OidcPublisher = NonNullable<PackagistConfig['oidcPublisher']>;

/** Which credential update-package gets, and whether the registry offered the OIDC exchange. */
export type PackagistCredentialChoice =
  | { kind: 'oidc'; credentials: ShortLivedCredentials; oidcOffered: true }
  /** The configured API token (if any), because OIDC was off, unavailable, not offered or refused. */
  | { kind: 'configured'; oidcOffered: boolean };

/** The attestation steps' dependencies (env, dispatcher, clock, user agent, redactor, logger), and what OIDC needs besides. */
export interface ChoosePackagistCredentialInput extends AttestDeps {
  /** `packagist.*` options as resolved. */
  options: PackagistConfig;
  packageName: string;
  /** The long-lived API token, when one is configured (only to say whether there is one: it is never sent here). */
  tokenCredentials?: PackagistCredentials;
}

/** What the steps before the exchange need. */
type OidcDeps = Omit<ChoosePackagistCredentialInput, 'tokenCredentials' | 'packageName'>;

/** Why OIDC is not used this time (auto mode), or the coded error that `required` turns it into. */
interface Unavailable {
  reason: string;
  offered: boolean;
  /** The exchange exists but refused or failed: worth a warning, not a notice. */
  failed?: boolean;
  error: PhpublishError;
}

/**
 * `packagist.oidc`: `auto` uses a short-lived credential from the registry's OIDC token exchange when
 * it is offered and this CI job can get an ID token, and otherwise the configured token (one line says
 * why); `required` fails with a coded error instead; `off` never tries.
 */
export async function choosePackagistCredential(
  input: ChoosePackagistCredentialInput,
): Promise<PackagistCredentialChoice> {
  const { options, logger } = input;
  if (options.oidc === 'off' || options.mode === 'off') return { kind: 'configured', oidcOffered: false };
  // Only the modes that call update-package can call it with a short-lived credential instead.
  if (options.mode !== 'auto' && options.mode !== 'token') {
    if (options.oidc === 'required') throw new PhpublishError('PACKAGIST_OIDC_MODE_CONFLICT', { mode: options.mode });
    return { kind: 'configured', oidcOffered: false };
  }
  const attempt = await tryOidc(input);
  if ('credentials' in attempt) {
    logger.success(
      `Packagist: short-lived credential from the OIDC token exchange (trusted publishing, no stored secret${attempt.credentials.expiresInSeconds ? `; valid ${Math.round(attempt.credentials.expiresInSeconds / 60)} min` : ''}).`,
    );
    if (input.tokenCredentials || input.env['PACKAGIST_API_TOKEN']) {
      logger.warn(
        'PACKAGIST_API_TOKEN (Packagist’s apiToken) is deprecated for this package: the OIDC exchange published without it, and it was not sent. Remove PACKAGIST_API_TOKEN and PACKAGIST_USERNAME from the CI secrets; a stored token is a standing risk.',
      );
    }
    return { kind: 'oidc', credentials: attempt.credentials, oidcOffered: true };
  }
  if (options.oidc === 'required') throw attempt.error;
  const fallback = input.tokenCredentials ? 'using the API token' : 'no API token either';
  (attempt.failed ? logger.warn : logger.info)(`Packagist: OIDC not used (${attempt.reason}); ${fallback}.`);
  return { kind: 'configured', oidcOffered: attempt.offered };
}

/**
 * Preflight of the OIDC path, before anything is tagged: with `packagist.oidc: required`, that the
 * registry offers the exchange and this job gets an ID token for it; with a configured
 * `oidcPublisher`, that the job is that publisher. Nothing is exchanged (that would use the token up).
 */
export async function preflightPackagistOidc(input: OidcDeps): Promise<PhpublishError[]> {
  const { options } = input;
  if (options.oidc === 'off' || options.mode === 'off') return [];
  if (options.mode !== 'auto' && options.mode !== 'token') {
    return options.oidc === 'required'
      ? [new PhpublishError('PACKAGIST_OIDC_MODE_CONFLICT', { mode: options.mode })]
      : [];
  }
  if (options.oidc !== 'required' && !options.oidcPublisher) return [];
  try {
    const prepared = await prepareOidc(input);
    return 'error' in prepared && options.oidc === 'required' ? [prepared.error] : [];
  } catch (error) {
    if (isPhpublishError(error)) return [error];
    throw error;
  }
}

/** Up to the exchange: the job can get an ID token, the registry offers the exchange, the token is the publisher's. */
async function prepareOidc(input: OidcDeps): Promise<{ ciToken: IdentityToken; http: HttpDeps } | Unavailable> {
  const { options, env, redactor } = input;
  const platform = detectCiPlatform(env);
  const missing = missingCiToken(platform, env);
  if (missing) {
    return {
      reason: missing,
      offered: false,
      error: new PhpublishError('PACKAGIST_OIDC_NO_CI_TOKEN', {
        reason: missing,
        variable: PACKAGIST_ID_TOKEN_VARIABLE,
      }),
    };
  }
  const http = httpDepsFor(input);
  const offer = await discoverOidcExchange(options.url, http);
  if (!offer.offered) {
    return {
      reason: `${options.url} offers no OIDC token exchange`,
      offered: false,
      error: new PhpublishError(
        'PACKAGIST_OIDC_NOT_OFFERED',
        { url: options.url, detail: offer.detail },
        { cause: offer.unreachable },
      ),
    };
  }
  let ciToken: IdentityToken;
  try {
    ciToken = await obtainIdentityToken({
      platform: platform!,
      env,
      tokenVariable: PACKAGIST_ID_TOKEN_VARIABLE,
      http,
      redactor,
      audience: offer.audience,
    });
  } catch (error) {
    if (!isPhpublishError(error)) throw error;
    const reason = `no ID token for the audience ${offer.audience}: ${error.message}`;
    return {
      reason,
      offered: true,
      failed: true,
      error: new PhpublishError(
        'PACKAGIST_OIDC_NO_CI_TOKEN',
        { reason, audience: offer.audience, variable: PACKAGIST_ID_TOKEN_VARIABLE },
        { cause: error },
      ),
    };
  }
  if (options.oidcPublisher) {
    const mismatches = publisherMismatches(options.oidcPublisher, ciToken.platform, ciToken.claims);
    // A configured publisher is a statement of intent: a job that is not it is an error in every mode.
    if (mismatches.length > 0) throw new PhpublishError('PACKAGIST_OIDC_PUBLISHER_MISMATCH', { mismatches });
  }
  return { ciToken, http };
}

async function tryOidc(
  input: ChoosePackagistCredentialInput,
): Promise<{ credentials: ShortLivedCredentials } | Unavailable> {
  const prepared = await prepareOidc(input);
  if ('error' in prepared) return prepared;
  const { ciToken, http } = prepared;
  const { options, redactor } = input;
  try {
    const credentials = await exchangeCiToken({
      apiUrl: options.url,
      http,
      redactor,
      ciToken: ciToken.token,
      packageName: input.packageName,
    });
    return { credentials };
  } catch (error) {
    if (!isPhpublishError(error)) throw error;
    return { reason: error.message, offered: true, failed: true, error };
  }
}

/** Why this job cannot get an ID token at all, from its environment alone (no request made). */
function missingCiToken(platform: CiPlatform | undefined, env: Env): string | undefined {
  if (platform === undefined) return 'not running in GitHub Actions or GitLab CI';
  if (platform === 'github-actions') {
    return env['ACTIONS_ID_TOKEN_REQUEST_URL'] && env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']
      ? undefined
      : 'the GitHub Actions job lacks the `id-token: write` permission';
  }
  return env[PACKAGIST_ID_TOKEN_VARIABLE]?.trim()
    ? undefined
    : `the GitLab CI job declares no \`id_tokens:\` variable ${PACKAGIST_ID_TOKEN_VARIABLE}`;
}

/** `release.yml` → `.github/workflows/release.yml` (GitHub's only place for workflows); a path stays as written. */
function workflowPath(workflow: string): string {
  return workflow.includes('/') || workflow === '.gitlab-ci.yml' ? workflow : `.github/workflows/${workflow}`;
}

/**
 * How the CI token differs from the configured trusted publisher, per claim. GitHub: `repository`,
 * the path in `workflow_ref` (`owner/name/<path>@ref`) and `environment`; GitLab: `project_path`, the
 * path in `ci_config_ref_uri` (`host/group/project//<path>@ref`) and `environment`.
 */
export function publisherMismatches(publisher: OidcPublisher, platform: CiPlatform, claims: IdentityClaims): string[] {
  const repository = claim(claims, platform === 'github-actions' ? 'repository' : 'project_path');
  const ref = claim(claims, platform === 'github-actions' ? 'workflow_ref' : 'ci_config_ref_uri');
  const separator = platform === 'github-actions' ? `${repository}/` : `/${repository}//`;
  const start = ref.indexOf(separator);
  const workflow = start === -1 ? ref : ref.slice(start + separator.length, ref.lastIndexOf('@'));
  const environment = claim(claims, 'environment');
  const mismatches: string[] = [];
  if (repository.toLowerCase() !== publisher.repository.toLowerCase()) {
    mismatches.push(`repository ${repository || '(none)'}, not ${publisher.repository}`);
  }
  if (workflow !== workflowPath(publisher.workflow)) {
    mismatches.push(`workflow ${workflow || '(none)'}, not ${workflowPath(publisher.workflow)}`);
  }
  if (publisher.environment !== undefined && environment !== publisher.environment) {
    mismatches.push(`environment ${environment || '(none)'}, not ${publisher.environment}`);
  }
  return mismatches;
}

/** update-package refusing the short-lived credential is not a problem with PACKAGIST_API_TOKEN: say so. */
export function oidcCredentialRefusal(error: unknown): unknown {
  if (!isPhpublishError(error, 'PACKAGIST_AUTH_REJECTED')) return error;
  return new PhpublishError('PACKAGIST_OIDC_CREDENTIAL_REJECTED', { detail: error.message }, { cause: error });
}

function httpDepsFor(input: OidcDeps): HttpDeps {
  return {
    dispatcher: input.dispatcher,
    clock: input.clock,
    userAgent: input.userAgent,
    timeoutMs: input.options.requestTimeout * 1000,
    retry: { ...DEFAULT_RETRY, ...input.retry },
    onRetry: ({ url, attempt, delayMs, reason }) =>
      input.logger.info(
        `Packagist: ${reason} from ${input.redactor.redact(url)}; retrying in ${Math.round(delayMs / 100) / 10} s (attempt ${attempt + 1})`,
      ),
  };
}
