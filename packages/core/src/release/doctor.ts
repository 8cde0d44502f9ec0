import { detectCiPlatform } from '../attest/ci.js';
import { preflightAttestation } from '../attest/preflight.js';
import { type Env, resolveConfig } from '../config/index.js';
import { isPhpublishError, PhpublishAggregateError, type PhpublishError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { loadSigningKey } from '../pgp/index.js';
import { privatePackagistPackageType } from '../private-packagist/settings.js';
import { attestDepsFor, createReleaseContext } from './context.js';
import { diagnosticContext, isUnreachable } from './doctor-briefly.js';
import { diagnosePackagistCredential } from './doctor-packagist-credential.js';
import { resolvePackagistTarget } from './packagist-target.js';
import { preflightPackagist } from './preflight-packagist.js';

export type DiagnosisStatus = 'ok' | 'warning' | 'problem';

export interface DiagnosisRow {
  area: string;
  status: DiagnosisStatus;
  detail: string;
  /** The coded problems behind a `problem` row. */
  codes: string[];
  /** Present when a service of this row never answered (the row's detail says `offline?`). */
  offline?: true;
}

/**
 * What is configured and what is missing, layer by layer, without changing anything. Unlike
 * preflight it never stops at the first broken layer: every row is filled in. Each service is asked
 * once and briefly (`diagnosticContext`); a row whose service never answered says `offline?`.
 */
export async function diagnose({
  cwd,
  env,
  options,
  logger,
}: {
  cwd: string;
  env: Env;
  options: unknown;
  logger: Logger;
}): Promise<DiagnosisRow[]> {
  const rows: DiagnosisRow[] = [];
  const problem = (area: string, errors: PhpublishError[]) => {
    const offline = errors.some(isUnreachable);
    rows.push({
      area,
      status: 'problem',
      detail: errors.map((e) => `${isUnreachable(e) ? 'offline? ' : ''}${e.code}: ${e.message}`).join(' '),
      codes: errors.map((e) => e.code),
      ...(offline ? { offline: true as const } : {}),
    });
  };

  try {
    resolveConfig(options, { env });
  } catch (error) {
    if (!(error instanceof PhpublishAggregateError)) throw error;
    problem('Configuration', error.errors);
    return rows;
  }
  rows.push({ area: 'Configuration', status: 'ok', detail: 'options and credentials are well-formed', codes: [] });
  const context = diagnosticContext(createReleaseContext({ cwd, env, options, logger }));

  const { target, problems } = await resolvePackagistTarget(context);
  if (target) {
    rows.push({
      area: 'Package',
      status: 'ok',
      detail: `${target.packageName} from ${target.repositoryUrl}`,
      codes: [],
    });
  } else {
    problem('Package', problems);
  }

  const { signing } = context.config;
  if (!signing.enabled || !signing.key) {
    rows.push({
      area: 'Signed tags',
      status: 'warning',
      detail: 'no signing key: release tags will not be signed (set PHPUBLISH_GPG_PRIVATE_KEY)',
      codes: [],
    });
  } else {
    try {
      const key = await loadSigningKey(signing.key, { now: new Date(context.clock.now()) });
      for (const notice of key.notices) logger.info(notice);
      const subkey = key.signingFingerprint === key.fingerprint ? '' : ` with its subkey ${key.signingFingerprint}`;
      rows.push({
        area: 'Signed tags',
        status: 'ok',
        detail: `key ${key.fingerprint} decrypts and can sign${subkey}`,
        codes: [],
      });
    } catch (error) {
      if (!isPhpublishError(error)) throw error;
      problem('Signed tags', [error]);
    }
  }

  const attest = context.config.options.attest;
  if (!attest.enabled) {
    rows.push({
      area: 'Attestation',
      status: 'warning',
      detail: 'off (attest.enabled is false): no build provenance',
      codes: [],
    });
  } else {
    const attestProblems = await preflightAttestation(attest, attestDepsFor(context));
    if (attestProblems.length === 0) {
      rows.push({
        area: 'Attestation',
        status: 'ok',
        detail: `${detectCiPlatform(env)} identity and permissions are in place`,
        codes: [],
      });
    } else {
      // Outside CI too: publish's preflight refuses to release what it cannot attest, so doctor
      // says so (one verdict); `attest.enabled: false` is how a local release is chosen.
      problem('Attestation', attestProblems);
    }
  }

  const mode = context.config.packagist.mode;
  const requestedMode = context.config.options.packagist.mode;
  if (mode === 'off') {
    rows.push({ area: 'Packagist', status: 'warning', detail: 'off (packagist.mode is off)', codes: [] });
  } else if (target) {
    const packagistProblems = await preflightPackagist(context, { target });
    if (packagistProblems.length > 0) problem('Packagist', packagistProblems);
    else if (requestedMode === 'auto' || requestedMode === 'token') {
      // The modes that call update-package: with the API token, or a short-lived OIDC credential instead.
      const credential = await diagnosePackagistCredential(context);
      rows.push({ area: 'Packagist', ...credential, detail: `reachable and lists the package; ${credential.detail}` });
    } else if (requestedMode === 'private-packagist') {
      const vcs = (await privatePackagistPackageType(context, target.packageName)) === 'vcs';
      rows.push({
        area: 'Packagist',
        status: 'ok',
        detail: vcs
          ? 'Private Packagist: a VCS package, picked up from the repository when the tag is pushed; no credential is used, and the release is confirmed at the tagged commit'
          : 'Private Packagist: audience reachable, GitHub Actions OIDC token possible; a short-lived credential (no stored secret) is exchanged at release, where the trusted publisher is checked',
        codes: [],
      });
    } else
      rows.push({
        area: 'Packagist',
        status: 'ok',
        detail: 'reachable and lists the package; no token: the Packagist GitHub App updates it',
        codes: [],
      });
  } else {
    // Every row is filled in: without the package's name there is nothing to ask the registry about.
    rows.push({
      area: 'Packagist',
      status: 'warning',
      detail: 'not checked: the package has no name to look up (see the Package row)',
      codes: [],
    });
  }
  return rows;
}
