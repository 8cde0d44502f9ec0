import { PhpublishError } from '../errors/index.js';

/** A Sigstore trusted root as JSON (trusted_root.json: protobuf-specs TrustedRoot). */
export type TrustedRootJson = Record<string, unknown>;

/** What @sigstore/verify needs, built from a trusted root. */
export type TrustMaterial = import('@sigstore/verify').TrustMaterial;

/**
 * Trust material from a trusted root given as JSON (text or parsed): offline, no TUF. Throws
 * ATTEST_TRUSTED_ROOT_INVALID when it cannot describe any certificate authority.
 */
export async function trustMaterialFrom(trustedRoot: string | TrustedRootJson): Promise<TrustMaterial> {
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
  try {
    const material = toTrustMaterial(TrustedRoot.fromJSON(json));
    if (material.certificateAuthorities.length === 0) throw new Error('it lists no certificate authority');
    return material;
  } catch (error) {
    throw new PhpublishError(
      'ATTEST_TRUSTED_ROOT_INVALID',
      { problem: (error as Error).message.split('\n')[0]! },
      { cause: error },
    );
  }
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
