import type { SigstoreBundle } from '../attest/sign.js';
import type { TrustedRootJson } from '../attest/trusted-root.js';
import { type VerifiedAttestation, type VerifyAttestationInput, verifySignedStatement } from '../attest/verify.js';
import type { TrustedKeys } from '../pgp/trusted-keys.js';
import type { FetchedTag } from './fetch-tag.js';
import type { TagObjectStore } from './git-http/fetch-tag-over-http.js';
import { type ObjectFormat, objectId } from './git-http/packfile.js';
import { checkTagSignature, type VerifiedTagSignature } from './tag-checks.js';
import { canonicalJson, sha256Hex, type VerifyCache } from './verify-cache.js';

/**
 * The expensive checks of a verification, through the cache when there is one (see
 * verify-cache.ts): each key holds everything the check's outcome depends on, and only outcomes
 * that passed are kept. Without a cache, each is the check itself.
 */

/** Digests of objects built once per run (trusted roots, trusted keys), by object. */
const digests = new WeakMap<object, Promise<string>>();
function digestOnce(object: object, compute: () => Promise<string>): Promise<string> {
  let digest = digests.get(object);
  if (!digest) {
    digest = compute();
    digests.set(object, digest);
  }
  return digest;
}

const rootDigest = (root: string | TrustedRootJson) =>
  typeof root === 'string'
    ? Promise.resolve(sha256Hex(root))
    : digestOnce(root, async () => sha256Hex(canonicalJson(root)));

/** The trusted keys as they are now: fingerprints and every key's bytes (a revocation added changes them). */
const keysDigest = (trusted: TrustedKeys) =>
  digestOnce(trusted, async () =>
    sha256Hex(
      canonicalJson(
        trusted.keys.map((k) => ({
          fingerprint: k.fingerprint,
          trust: k.trust,
          key: sha256Hex(Buffer.from(k.key.write())),
        })),
      ),
    ),
  );

const bundleBytes = (bundle: string | SigstoreBundle) => (typeof bundle === 'string' ? bundle : JSON.stringify(bundle));

/**
 * verifySignedStatement (the bundle is authentic and signed by `policy`'s identity), keyed by the
 * bundle's bytes, the trusted root, the identity policy and the thresholds.
 */
export async function verifySignedStatementCached(
  cache: VerifyCache | undefined,
  input: Omit<VerifyAttestationInput, 'subjects'>,
): Promise<VerifiedAttestation> {
  if (!cache) return verifySignedStatement(input);
  const key = {
    bundleSha256: sha256Hex(bundleBytes(input.bundle)),
    trustedRootSha256: await rootDigest(input.trustedRoot),
    identityPolicy: input.policy,
    thresholds: input.thresholds ?? {},
  };
  const cached = await cache.get('bundle', key, isVerifiedAttestation);
  if (cached) return cached;
  const verified = await verifySignedStatement(input);
  await cache.put('bundle', key, verified);
  return verified;
}

function isVerifiedAttestation(value: unknown): value is VerifiedAttestation {
  const candidate = value as Partial<VerifiedAttestation> | null;
  return (
    typeof candidate?.statement === 'object' &&
    candidate.statement !== null &&
    Array.isArray(candidate.statement.subject) &&
    typeof candidate.signer?.subjectAlternativeName === 'string' &&
    typeof candidate.signer.issuer === 'string'
  );
}

/** What is kept of a verified tag signature: dates as ISO text, and when the key expires (if ever). */
interface CachedTagSignature {
  signer: VerifiedTagSignature['signer'];
  signature: Omit<VerifiedTagSignature['signature'], 'created'> & { created: string };
  keyExpiresAt: string | null;
}

/**
 * checkTagSignature, keyed by the tag object's bytes (their SHA-256, computed here: what the
 * server claims is not trusted), the tag name asked for (a signed v1.0.0 served as v2.0.0 must
 * still fail) and the trusted keys. Whether the key has expired since is worked out from `now`
 * each time.
 */
export async function checkTagSignatureCached(
  cache: VerifyCache | undefined,
  tag: string,
  fetched: Exclude<FetchedTag, { kind: 'missing' }>,
  input: { trusted: TrustedKeys; now: Date },
): Promise<VerifiedTagSignature> {
  if (!cache || fetched.kind !== 'annotated') return checkTagSignature(tag, fetched, input);
  const key = { tag, tagObjectSha256: sha256Hex(fetched.raw), trustedKeys: await keysDigest(input.trusted) };
  const cached = await cache.get('tag', key, isCachedTagSignature);
  if (cached) {
    const expires = cached.keyExpiresAt === null ? undefined : Date.parse(cached.keyExpiresAt);
    return {
      signer: cached.signer,
      signature: { ...cached.signature, created: new Date(cached.signature.created) },
      keyExpiredSince: expires !== undefined && expires <= input.now.getTime(),
    };
  }
  const verified = await checkTagSignature(tag, fetched, input);
  // As verifyDetached decides `keyExpired`: the primary key's expiry against now.
  const trustedKey = input.trusted.keys.find((k) => k.fingerprint === verified.signer.fingerprint);
  const expiresAt = await trustedKey?.key.getExpirationTime().catch(() => null);
  const entry: CachedTagSignature = {
    signer: verified.signer,
    signature: { ...verified.signature, created: verified.signature.created.toISOString() },
    keyExpiresAt: expiresAt instanceof Date ? expiresAt.toISOString() : null,
  };
  await cache.put('tag', key, entry);
  return verified;
}

function isCachedTagSignature(value: unknown): value is CachedTagSignature {
  const candidate = value as Partial<CachedTagSignature> | null;
  return (
    typeof candidate?.signer?.fingerprint === 'string' &&
    typeof candidate.signature?.created === 'string' &&
    !Number.isNaN(Date.parse(candidate.signature.created)) &&
    (candidate.keyExpiresAt === null ||
      (typeof candidate.keyExpiresAt === 'string' && !Number.isNaN(Date.parse(candidate.keyExpiresAt))))
  );
}

/** A dist's content-tree digest, keyed by the dist's SHA-256 (the dist itself is always downloaded). */
export interface DistContent {
  contentDigest: string;
  files: number;
}

export async function distContentCached(
  cache: VerifyCache | undefined,
  distSha256: string,
  compute: () => Promise<DistContent>,
): Promise<DistContent> {
  if (!cache) return compute();
  const key = { distSha256 };
  const cached = await cache.get('dist', key, isDistContent);
  if (cached) return cached;
  const content = await compute();
  await cache.put('dist', key, { contentDigest: content.contentDigest, files: content.files });
  return content;
}

function isDistContent(value: unknown): value is DistContent {
  const candidate = value as Partial<DistContent> | null;
  return (
    typeof candidate?.contentDigest === 'string' &&
    /^phpublish-tree-v1:sha256:[0-9a-f]{64}$/.test(candidate.contentDigest) &&
    Number.isInteger(candidate.files)
  );
}

/**
 * Tag objects fetched before, kept by object id (`tag-object` entries): a run whose tags have not
 * moved asks the repository for its refs only. Content-addressed: an entry is used only when its
 * bytes hash to the id asked for, so a damaged or planted entry is a miss, never another tag. What
 * the bytes say is checked each time as if they had just been fetched (signature, name, commit).
 */
export function tagObjectStore(cache: VerifyCache): TagObjectStore {
  return {
    async get(format: ObjectFormat, oid: string) {
      const hashesToOid = (value: unknown): value is string =>
        typeof value === 'string' && objectId(format, 'tag', Buffer.from(value, 'base64')) === oid;
      const kept = await cache.get('tag-object', { format, oid }, hashesToOid);
      return kept === undefined ? undefined : Buffer.from(kept, 'base64');
    },
    put: (format: ObjectFormat, oid: string, raw: Buffer) =>
      cache.put('tag-object', { format, oid }, raw.toString('base64')),
  };
}
