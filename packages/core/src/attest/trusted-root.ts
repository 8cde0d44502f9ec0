import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
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

/** Sigstore's public-good TUF repository: @sigstore/tuf's seed is keyed by it. */
const PUBLIC_GOOD_TUF_URL = 'https://tuf-repo-cdn.sigstore.dev';

/** The copy of the last root a refresh brought, inside the cache folder. */
const CACHED_ROOT_FILE = 'public-good-trusted-root.json';

export interface PublicGoodRootOptions {
  /**
   * A folder of its own for the public-good root: a refresh keeps its TUF metadata and the root it
   * brought here, and later runs read that root back offline. Without it a refresh uses sigstore-js's
   * own cache folder, and offline runs get the shipped root.
   */
  cachePath?: string;
  /**
   * Refresh the root through the TUF repository first (network). Never required: when the refresh
   * fails, the cached or shipped root is used and `onRefreshFailed` says why.
   */
  refresh?: boolean;
  onRefreshFailed?: (problem: string) => void;
  /** The TUF repository a refresh reads: Sigstore's by default (a mirror must serve the same metadata). */
  tufMirrorUrl?: string;
}

/**
 * The public-good Sigstore instance's trusted root, offline by default: the newest of the root a
 * refresh stored in `cachePath` and the root that ships inside @sigstore/tuf (its TUF seed, the
 * trusted_root.json target that a fresh TUF client starts from). With `refresh`, it is first updated
 * securely through the TUF repository. GitHub's private-repository instance is not in it.
 */
export async function publicGoodTrustedRoot(options: PublicGoodRootOptions = {}): Promise<TrustedRootJson> {
  if (options.refresh) {
    try {
      return await refreshedRoot(options.cachePath, options.tufMirrorUrl);
    } catch (error) {
      options.onRefreshFailed?.((error as Error).message.split('\n')[0]!);
    }
  }
  const shipped = shippedPublicGoodRoot();
  const cached = options.cachePath ? await readCachedRoot(options.cachePath) : undefined;
  // A cache written by an older phpublish may predate the root this one ships: the newer wins.
  return cached && newestStart(cached) >= newestStart(shipped) ? cached : shipped;
}

/** The trusted_root.json target of @sigstore/tuf's seed for the public-good repository. */
export function shippedPublicGoodRoot(): TrustedRootJson {
  try {
    return asRootObject(JSON.parse(seedFile('trusted_root.json').toString('utf8')));
  } catch (error) {
    throw new PhpublishError(
      'ATTEST_TRUSTED_ROOT_INVALID',
      { problem: `the root shipped with @sigstore/tuf cannot be read: ${(error as Error).message.split('\n')[0]}` },
      { cause: error },
    );
  }
}

/** A file of @sigstore/tuf's seed for the public-good repository: `root.json` or a target. */
function seedFile(name: 'root.json' | 'trusted_root.json'): Buffer {
  const require = createRequire(import.meta.url);
  const seeds = JSON.parse(readFileSync(require.resolve('@sigstore/tuf/seeds.json'), 'utf8')) as Record<
    string,
    { 'root.json'?: string; targets?: Record<string, string> }
  >;
  const seed = seeds[PUBLIC_GOOD_TUF_URL];
  const base64 = name === 'root.json' ? seed?.['root.json'] : seed?.targets?.[name];
  if (!base64) throw new Error(`@sigstore/tuf's seed has no ${name} for ${PUBLIC_GOOD_TUF_URL}`);
  return Buffer.from(base64, 'base64');
}

async function refreshedRoot(cachePath: string | undefined, mirrorURL: string | undefined): Promise<TrustedRootJson> {
  const [{ getTrustedRoot }, { TrustedRoot }] = await Promise.all([
    import('@sigstore/tuf'),
    import('@sigstore/protobuf-specs'),
  ]);
  const tufCache = cachePath ? join(cachePath, 'tuf') : undefined;
  const mirror = mirrorURL && mirrorURL !== PUBLIC_GOOD_TUF_URL ? mirrorURL : undefined;
  let rootPath: string | undefined;
  if (mirror) {
    // @sigstore/tuf seeds only Sigstore's own URL: a mirror of it starts from the same root.json.
    if (!tufCache) throw new Error('a TUF mirror needs a cache folder');
    rootPath = join(tufCache, 'seed-root.json');
    await mkdir(tufCache, { recursive: true });
    await writeFile(rootPath, seedFile('root.json'));
  }
  const root = TrustedRoot.toJSON(
    await getTrustedRoot({
      ...(tufCache ? { cachePath: tufCache } : {}),
      ...(mirror ? { mirrorURL: mirror, rootPath } : {}),
      // Offline should cost little: one quick retry, then the cached or shipped root.
      retry: { retries: 1 },
      timeout: 5000,
    }),
  ) as TrustedRootJson;
  if (cachePath) await writeCachedRoot(cachePath, root);
  return root;
}

async function readCachedRoot(cachePath: string): Promise<TrustedRootJson | undefined> {
  let text: string;
  try {
    text = await readFile(join(cachePath, CACHED_ROOT_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return asRootObject(JSON.parse(text));
  } catch {
    // A damaged copy is not trusted and not fatal: the shipped root still is.
    return undefined;
  }
}

/** Written whole or not at all (a temporary file renamed), so a reader never sees half a root. */
async function writeCachedRoot(cachePath: string, root: TrustedRootJson): Promise<void> {
  await mkdir(cachePath, { recursive: true });
  const temporary = join(cachePath, `${CACHED_ROOT_FILE}.${process.pid}.tmp`);
  await writeFile(temporary, `${JSON.stringify(root)}\n`);
  await rename(temporary, join(cachePath, CACHED_ROOT_FILE));
}

function asRootObject(value: unknown): TrustedRootJson {
  if (
    typeof value !== 'object' ||
    value === null ||
    !Array.isArray((value as TrustedRootJson)['certificateAuthorities'])
  )
    throw new Error('it is not a trusted root');
  return value as TrustedRootJson;
}

/** The latest `validFor.start` of anything the root lists: a root with newer keys is a newer root. */
function newestStart(root: TrustedRootJson): string {
  const starts: string[] = [];
  for (const list of ['tlogs', 'ctlogs', 'certificateAuthorities', 'timestampAuthorities']) {
    const entries = root[list];
    if (!Array.isArray(entries)) continue;
    for (const entry of entries as {
      validFor?: { start?: unknown };
      publicKey?: { validFor?: { start?: unknown } };
    }[]) {
      const start = entry?.validFor?.start ?? entry?.publicKey?.validFor?.start;
      const time = typeof start === 'string' ? Date.parse(start) : Number.NaN;
      if (!Number.isNaN(time)) starts.push(new Date(time).toISOString());
    }
  }
  return starts.sort().at(-1) ?? '';
}
