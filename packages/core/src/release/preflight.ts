import { attestedCommitProblemIn } from '../attest/attested-commit.js';
import { preflightAttestation } from '../attest/preflight.js';
import { isPhpublishError, PhpublishAggregateError, type PhpublishError } from '../errors/index.js';
import { loadSigningKey, readSigningKeyMaterial, type SigningKey } from '../pgp/index.js';
import type { ReleaseContext } from './context.js';
import { attestDepsFor, type CreateReleaseContextInput, createReleaseContext } from './context.js';
import { type PackagistTarget, resolvePackagistTarget } from './packagist-target.js';
import { preflightPackagist } from './preflight-packagist.js';

export interface PreflightInput {
  /** The repository URL the host tool knows (may carry credentials; they are stripped). */
  hostRepositoryUrl?: string;
  /** The release, when already known. */
  release?: { version: string; commit?: string };
  /** Check the attestation layer (CI identity, permissions) when `attest.enabled`; default true. */
  attest?: boolean;
}

/**
 * Every check that can fail before anything irreversible happens, with no side effects. All
 * problems are thrown together; on success, what later steps need is returned.
 */
export async function preflight(
  context: ReleaseContext,
  input: PreflightInput = {},
): Promise<{ target: PackagistTarget; signingKey?: SigningKey }> {
  for (const notice of context.config.notices) context.logger.info(notice);
  const { target, problems } = await resolvePackagistTarget(context, { hostRepositoryUrl: input.hostRepositoryUrl });
  const all: PhpublishError[] = [...problems];
  // The key must decrypt and be able to sign now, before any tag exists.
  let signingKey: SigningKey | undefined;
  const { signing } = context.config;
  if (signing.enabled && signing.key) {
    try {
      signingKey = await loadSigningKey(signing.key, { now: new Date(context.clock.now()) });
      // What was undone to read the key (base64, a byte order mark), an unused passphrase.
      for (const notice of signingKey.notices) context.logger.info(notice);
    } catch (error) {
      if (!isPhpublishError(error)) throw error;
      all.push(error);
    }
  }
  if (input.attest !== false) {
    all.push(...(await preflightAttestation(context.config.options.attest, attestDepsFor(context))));
  }
  if (target) all.push(...(await preflightPackagist(context, { target, release: input.release })));
  const release = input.release;
  if (input.attest !== false && context.config.options.attest.enabled && release?.commit) {
    const otherCommit = attestedCommitProblemIn(context.env, { tag: release.version, commit: release.commit });
    if (otherCommit) all.push(otherCommit);
  }
  if (all.length > 0 || !target) throw new PhpublishAggregateError(all);
  return { target, ...(signingKey ? { signingKey } : {}) };
}

/**
 * createReleaseContext + preflight for adapters: when the configuration itself is wrong, the
 * signing key is still checked, so that one run reports every problem (a missing token and a key
 * that does not decrypt, together).
 */
export async function createContextAndPreflight(
  contextInput: CreateReleaseContextInput,
  input: PreflightInput = {},
): Promise<{ context: ReleaseContext; target: PackagistTarget; signingKey?: SigningKey }> {
  let context: ReleaseContext;
  try {
    context = createReleaseContext(contextInput);
  } catch (error) {
    if (!(error instanceof PhpublishAggregateError)) throw error;
    const known = new Set(error.errors.map((e) => e.code));
    const keyProblems = (await signingKeyProblems(contextInput)).filter((e) => !known.has(e.code));
    throw new PhpublishAggregateError([...error.errors, ...keyProblems]);
  }
  return { context, ...(await preflight(context, input)) };
}

async function signingKeyProblems({ env, options }: CreateReleaseContextInput): Promise<PhpublishError[]> {
  const signing = (options as { signing?: { enabled?: unknown; key?: unknown; passphrase?: unknown } } | undefined)
    ?.signing;
  if (signing?.enabled === false) return [];
  const { material, problems } = readSigningKeyMaterial({
    env,
    ...(typeof signing?.key === 'string' ? { key: signing.key } : {}),
    ...(typeof signing?.passphrase === 'string' ? { passphrase: signing.passphrase } : {}),
  });
  if (problems.length > 0 || !material) return problems;
  try {
    await loadSigningKey(material);
    return [];
  } catch (error) {
    if (isPhpublishError(error)) return [error];
    throw error;
  }
}
