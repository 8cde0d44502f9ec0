import { DEFAULT_RETRY } from '../http/index.js';
import { preflightPackagistOidc } from '../packagist/oidc.js';
import { discoverOidcExchange } from '../packagist/oidc-exchange.js';
import type { ReleaseContext } from './context.js';
import type { DiagnosisStatus } from './doctor.js';

export interface CredentialDiagnosis {
  status: Exclude<DiagnosisStatus, 'problem'>;
  detail: string;
  /** Why the OIDC exchange cannot be used by this job, when it is offered (a warning's cause, by code). */
  codes: string[];
  /** Present when Packagist did not answer whether it offers the exchange. */
  offline?: true;
}

const API_TOKEN = 'a long-lived API token (use the SAFE one)';
const GITHUB_APP = 'no token: the Packagist GitHub App updates it';

/**
 * Which credential update-package would get, for `packagist.mode` auto or token, found the way a
 * release finds it but without exchanging anything and without sending any token: Packagist is asked
 * whether it offers the OIDC token exchange (a GET), and this job whether it gets an ID token for it
 * (`preflightPackagistOidc`). `packagist.oidc: required` problems are reported by preflight already.
 */
export async function diagnosePackagistCredential(context: ReleaseContext): Promise<CredentialDiagnosis> {
  const options = context.config.options.packagist;
  const hasToken = context.config.packagist.credentials !== undefined;
  const withoutOidc = hasToken ? API_TOKEN : GITHUB_APP;
  const status = hasToken ? 'warning' : 'ok';
  if (options.oidc === 'off') {
    return { status, detail: `updates use ${withoutOidc} (packagist.oidc: off)`, codes: [] };
  }
  const offer = await discoverOidcExchange(options.url, {
    dispatcher: context.dispatcher,
    clock: context.clock,
    userAgent: context.userAgent,
    timeoutMs: options.requestTimeout * 1000,
    retry: { ...DEFAULT_RETRY, ...context.retry },
  });
  if (!offer.offered) {
    return {
      status,
      detail: `updates use ${withoutOidc}; ${options.url} offers no OIDC token exchange (${offer.unreachable ? 'offline? ' : ''}${offer.detail}), so there is no short-lived credential to use instead`,
      codes: [],
      ...(offer.unreachable ? { offline: true as const } : {}),
    };
  }
  const problems = await preflightPackagistOidc({ ...context, options: { ...options, oidc: 'required' } });
  if (problems.length > 0) {
    return {
      status: 'warning',
      detail: `${options.url} offers the OIDC token exchange, but this job cannot use it (${problems.map((p) => `${p.code}: ${p.message}`).join(' ')}); updates fall back to ${withoutOidc}`,
      codes: problems.map((p) => p.code),
    };
  }
  const ready = `updates use a short-lived OIDC credential from ${options.url}'s token exchange (trusted publishing, no stored secret; the trusted publisher is checked at the exchange)`;
  if (!hasToken) return { status: 'ok', detail: ready, codes: [] };
  return {
    status: 'warning',
    detail: `${ready}. PACKAGIST_API_TOKEN is deprecated for this package and will not be sent: remove PACKAGIST_API_TOKEN and PACKAGIST_USERNAME from the CI secrets`,
    codes: [],
  };
}
