import { PhpublishError } from '../errors/index.js';

/** A Sigstore trusted root as JSON (trusted_root.json: protobuf-specs TrustedRoot). */
export type TrustedRootJson = Record<string, unknown>;

/** What @sigstore/verify needs, built from a trusted root. */
export type TrustMaterial = import('@sigstore/verify').TrustMaterial;

/** Trust material already built, per trusted root object: a run verifies every bundle against the same one. */
const materials = new WeakMap<TrustedRootJson, Promise<TrustMaterial>>();

/**
 * Trust material from a trusted root given as JSON (text or parsed): offline, no TUF. Throws
 * ATTEST_TRUSTED_ROOT_INVALID when it cannot describe any certificate authority. Built once per
 * parsed root (the same object gives the same material, which nothing modifies), so that a run
 * verifying hundreds of bundles parses the root's certificates and keys once.
 */
export function trustMaterialFrom(trustedRoot: string | TrustedRootJson): Promise<TrustMaterial> {
  if (typeof trustedRoot === 'string') return buildTrustMaterial(trustedRoot);
  let material = materials.get(trustedRoot);
  if (!material) {
    material = buildTrustMaterial(trustedRoot);
    materials.set(trustedRoot, material);
    // A root that fails stays uncached: the failure is reported each time, as before.
    material.catch(() => materials.delete(trustedRoot));
  }
  return material;
}

async function buildTrustMaterial(trustedRoot: string | TrustedRootJson): Promise<TrustMaterial> {
  const [{ TrustedRoot }, { toTrustMaterial }] = await Promise.all([
    import('@sigstore/protobuf-specs'),
    import('@sigstore/verify'),
  ]);
  let json: unknown = trustedRoot;
  if (typeof trustedRoot === 'string') {
    try {
      json = JSON.parse(trustedRoot);
    } catch {
      throw new PhpublishError('ATTEST_TRUSTED_ROOT_INVALID', { problem: 'it is not JSON' });
    }
  }
  let material: TrustMaterial;
  try {
    material = toTrustMaterial(TrustedRoot.fromJSON(json));
    if (material.certificateAuthorities.length === 0) throw new Error('it lists no certificate authority');
  } catch (error) {
    throw new PhpublishError(
      'ATTEST_TRUSTED_ROOT_INVALID',
      { problem: (error as Error).message.split('\n')[0]! },
      { cause: error },
    );
  }
  // Verified with the Sigstore libraries as published: nothing of theirs is replaced or patched.
  return material;
}

/**
 * The public-good Sigstore instance's trusted root, updated securely through its TUF repository
 * (network; cached in `cachePath`). GitHub's private-repository instance is not in it.
 */
export async function publicGoodTrustedRoot(options: { cachePath?: string } = {}): Promise<TrustedRootJson> {
  const [{ getTrustedRoot }, { TrustedRoot }] = await Promise.all([
    import('@sigstore/tuf'),
    import('@sigstore/protobuf-specs'),
  ]);
  try {
    const root = await getTrustedRoot(options.cachePath ? { cachePath: options.cachePath } : {});
    return TrustedRoot.toJSON(root) as TrustedRootJson;
  } catch (error) {
    throw new PhpublishError(
      'ATTEST_TRUSTED_ROOT_INVALID',
      { problem: `it could not be loaded through TUF: ${(error as Error).message.split('\n')[0]}` },
      { cause: error },
    );
  }
}
