import { isPhpublishError, PhpublishAggregateError, type PhpublishError } from '../errors/index.js';
import { loadSigningKey, type SigningKey } from '../pgp/index.js';
import type { ReleaseContext } from './context.js';
import { type PackagistTarget, resolvePackagistTarget } from './packagist-target.js';
import { preflightPackagist } from './preflight-packagist.js';

export interface PreflightInput {
  /** The repository URL the host tool knows (may carry credentials; they are stripped). */
  hostRepositoryUrl?: string;
  /** The release, when already known. */
  release?: { version: string; commit?: string };
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
    } catch (error) {
      if (!isPhpublishError(error)) throw error;
      all.push(error);
    }
  }
  if (target) all.push(...(await preflightPackagist(context, { target, release: input.release })));
  if (all.length > 0 || !target) throw new PhpublishAggregateError(all);
  return { target, ...(signingKey ? { signingKey } : {}) };
}
