import type { z } from 'zod';
import { PhpublishAggregateError, PhpublishError } from '../errors/index.js';
import type { PackagistCredentials } from '../packagist/credentials.js';
import { checkPackagistCredentials, readPackagistCredentials } from '../packagist/credentials.js';
import {
  LEGACY_PASSPHRASE_VARIABLE,
  PASSPHRASE_VARIABLE,
  readSigningKeyMaterial,
  type SigningKeyMaterial,
} from '../pgp/key-material.js';
import { configSchema, type PhpublishConfig } from './schema.js';

export type Env = Record<string, string | undefined>;

/** How Packagist will be told, once `auto` is decided. */
export type PackagistNotifyMode = 'token' | 'github-app' | 'private-packagist' | 'off';

export interface ResolvedConfig {
  options: PhpublishConfig;
  packagist: {
    mode: PackagistNotifyMode;
    credentials?: PackagistCredentials;
  };
  signing: {
    /** Whether release tags are signed (`signing.enabled`, or a key is set). */
    enabled: boolean;
    /** The key and passphrase as read; parsed and decrypted by `loadSigningKey` (preflight). */
    key?: SigningKeyMaterial;
    trustedKeys: string[];
    trustedFingerprints: string[];
  };
  /** Every secret read, for the redactor. */
  secrets: string[];
  /** Things the user should know that are not problems. */
  notices: string[];
}

/**
 * Options + environment → the configuration of one run. Pure: it reads nothing but its arguments.
 * All problems are collected and thrown together (PhpublishAggregateError), never one at a time.
 */
export function resolveConfig(options: unknown, { env }: { env: Env }): ResolvedConfig {
  const problems: PhpublishError[] = [];
  const parsed = configSchema.safeParse(options ?? {});
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap(issueToErrors));

  const { username, token } = readPackagistCredentials(env);
  const secrets = token ? [token] : [];
  problems.push(...checkPackagistCredentials({ username, token }));

  const signingOptions = parsed.success ? parsed.data.signing : undefined;
  const signingKey = readSigningKeyMaterial({
    env,
    ...(isObject(options) && isObject(options['signing'])
      ? pickStrings(options['signing'], ['key', 'passphrase'])
      : {}),
  });
  secrets.push(...signingKey.secrets);
  const signingEnabled = signingOptions?.enabled ?? signingKey.material !== undefined;
  if (signingOptions?.enabled !== false) problems.push(...signingKey.problems);
  if (signingOptions?.enabled === true && !signingKey.material && signingKey.problems.length === 0) {
    problems.push(new PhpublishError('SIGNING_KEY_MISSING'));
  }

  const notices: string[] = [];
  const legacyPassphrase = legacyPassphraseNotice(env);
  if (legacyPassphrase) notices.push(legacyPassphrase);
  const requestedMode = parsed.success ? parsed.data.packagist.mode : 'auto';
  let mode: PackagistNotifyMode;
  if (requestedMode === 'auto') {
    if (token || username) {
      mode = 'token';
    } else {
      mode = 'github-app';
      const oidc = parsed.success ? parsed.data.packagist.oidc : 'auto';
      notices.push(
        oidc === 'required'
          ? 'No PACKAGIST_API_TOKEN: phpublish notifies Packagist through its OIDC token exchange (packagist.oidc: required), then confirms the release.'
          : oidc === 'off'
            ? 'No PACKAGIST_API_TOKEN: phpublish will not ping Packagist and relies on the Packagist GitHub App or webhook, then confirms the release.'
            : 'No PACKAGIST_API_TOKEN: phpublish uses Packagist’s OIDC token exchange if it offers one (packagist.oidc), else relies on the Packagist GitHub App or webhook, then confirms the release.',
      );
    }
  } else {
    mode = requestedMode;
  }
  if (mode === 'token') {
    const missing = [!username && 'PACKAGIST_USERNAME', !token && 'PACKAGIST_API_TOKEN'].filter(
      (m): m is string => typeof m === 'string',
    );
    if (missing.length > 0) problems.push(new PhpublishError('PACKAGIST_CREDENTIALS_MISSING', { missing }));
  }

  if (problems.length > 0) throw new PhpublishAggregateError(problems);
  return {
    options: parsed.data!,
    packagist: {
      mode,
      ...(mode === 'token' && username && token ? { credentials: { username, token } } : {}),
    },
    signing: {
      enabled: signingEnabled,
      ...(signingEnabled && signingKey.material ? { key: signingKey.material } : {}),
      trustedKeys: parsed.data!.signing.trustedKeys,
      trustedFingerprints: parsed.data!.signing.trustedFingerprints,
    },
    secrets,
    notices,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The string-valued entries among `keys` (secrets are read from the raw options, before validation can fail). */
function pickStrings(object: Record<string, unknown>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((key) => (typeof object[key] === 'string' ? [[key, object[key]]] : [])));
}

function issueToErrors(issue: z.core.$ZodIssue): PhpublishError[] {
  const base = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map(
      (key) => new PhpublishError('CONFIG_UNKNOWN_OPTION', { path: base ? `${base}.${key}` : key }),
    );
  }
  return [new PhpublishError('CONFIG_INVALID', { path: base || '(options)', problem: lowerFirst(issue.message) })];
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * The passphrase's former variable name still works, but semantic-release does not mask values of
 * variables named like it: the user is told to rename the secret (without its value, of course).
 */
function legacyPassphraseNotice(env: Env): string | undefined {
  if (env[LEGACY_PASSPHRASE_VARIABLE] === undefined) return undefined;
  if (env[PASSPHRASE_VARIABLE] !== undefined) {
    return `${LEGACY_PASSPHRASE_VARIABLE} is set too and was ignored: ${PASSPHRASE_VARIABLE} wins. Remove the former.`;
  }
  return `${LEGACY_PASSPHRASE_VARIABLE} is a former name: rename the secret to ${PASSPHRASE_VARIABLE}, whose value semantic-release masks in every plugin's output.`;
}
