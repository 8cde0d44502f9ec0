import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import type { TrustedRootJson } from '../attest/trusted-root.js';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { INPUT_LIMITS, InputFileProblem, readInputFile, readInputJson } from '../input/index.js';
import { normalizeFingerprint } from '../pgp/key-info.js';
import { loadTrustedKeys, type TrustedKeys } from '../pgp/trusted-keys.js';
import { type PolicyEntry, type PolicyFile, type PolicyIdentity, policySchema } from './policy-schema.js';

/** Where the policy file is looked for when none is given. */
export const POLICY_FILE_NAME = 'phpublish.policy.json';

/** One entry of the policy, with its files read and checked. */
export interface ResolvedPolicyEntry {
  /** The key it is listed under: `acme/hello` or `acme/*`. */
  key: string;
  requireSignedTag: boolean;
  requireAttestation: boolean;
  /** The public keys from `keys`, pinned to `fingerprints`. */
  trustedKeys: TrustedKeys;
  identities: readonly PolicyIdentity[];
  /** The trusted root's JSON, or `undefined` for the public-good instance (loaded on first use). */
  trustedRoot: TrustedRootJson | undefined;
}

export interface VerifyPolicy {
  /** Absolute path of the file, for messages. */
  file: string;
  packagistUrl?: string;
  githubApiUrl?: string;
  gitlabApiUrl?: string;
  entries: ReadonlyMap<string, ResolvedPolicyEntry>;
}

/**
 * Reads and checks a policy file and every file it names (keys, trusted roots), so that a broken
 * policy fails before anything is fetched. All problems are reported together.
 */
export async function loadPolicy(input: { file: string; cwd: string }): Promise<VerifyPolicy> {
  const file = isAbsolute(input.file) ? input.file : resolve(input.cwd, input.file);
  const invalid = (problems: string[], cause?: unknown) =>
    new PhpublishError('VERIFY_POLICY_INVALID', { file, problems }, cause === undefined ? undefined : { cause });
  let data: unknown;
  try {
    // Strict: a key given twice (a second `"requireSignedTag": false`) or `__proto__` is refused.
    data = await readInputJson(file, { maxBytes: INPUT_LIMITS.small });
  } catch (error) {
    if (error instanceof InputFileProblem) throw invalid([`it ${error.message}`], error);
    throw error;
  }
  const parsed = policySchema.safeParse(data);
  if (!parsed.success) throw invalid(parsed.error.issues.map(describeIssue));

  const policy: PolicyFile = parsed.data;
  const base = dirname(file);
  const problems: string[] = [];
  const roots = new Map<string, Promise<TrustedRootJson | undefined>>();
  const readRoot = (path: string, where: string) => {
    const absolute = isAbsolute(path) ? path : join(base, path);
    let root = roots.get(absolute);
    if (!root) {
      root = readJsonFile(absolute).then((read) => {
        if ('value' in read) return read.value;
        problems.push(`${where}: ${read.problem}`);
        return undefined;
      });
      roots.set(absolute, root);
    }
    return root;
  };
  const defaultRoot = policy.trustedRoot ? readRoot(policy.trustedRoot, 'trustedRoot') : Promise.resolve(undefined);

  const entries = new Map<string, ResolvedPolicyEntry>();
  await Promise.all(
    Object.entries(policy.packages).map(async ([key, entry]) => {
      const where = `packages["${key}"]`;
      const [trustedKeys, trustedRoot] = await Promise.all([
        readKeys(entry, base, where, problems),
        entry.trustedRoot ? readRoot(entry.trustedRoot, `${where}.trustedRoot`) : defaultRoot,
      ]);
      entries.set(key, {
        key,
        requireSignedTag: entry.requireSignedTag,
        requireAttestation: entry.requireAttestation,
        trustedKeys,
        identities: entry.identities,
        trustedRoot,
      });
    }),
  );
  // The policy's own root too: with no entry that uses it, it would otherwise not be waited for.
  await defaultRoot;
  if (problems.length > 0) throw invalid(problems.sort());
  return {
    file,
    entries,
    ...(policy.packagistUrl ? { packagistUrl: policy.packagistUrl } : {}),
    ...(policy.githubApiUrl ? { githubApiUrl: policy.githubApiUrl } : {}),
    ...(policy.gitlabApiUrl ? { gitlabApiUrl: policy.gitlabApiUrl } : {}),
  };
}

/** The entry that covers a package: its own, else its vendor's; `undefined` when the policy says nothing. */
export function policyEntryFor(policy: VerifyPolicy, packageName: string): ResolvedPolicyEntry | undefined {
  const name = packageName.toLowerCase();
  return policy.entries.get(name) ?? policy.entries.get(`${name.split('/')[0]}/*`);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // packages["acme/hello"].identities[0].workflow
  const path = issue.path
    .map((part, index) =>
      typeof part === 'number'
        ? `[${part}]`
        : index === 1 && issue.path[0] === 'packages'
          ? `["${String(part)}"]`
          : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
  if (issue.code === 'unrecognized_keys') {
    return `${path ? `${path}: ` : ''}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `\`${k}\``).join(', ')}`;
  }
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return `${path || '(the file)'}: ${message}`;
}

async function readJsonFile(path: string): Promise<{ value: TrustedRootJson } | { problem: string }> {
  let value: unknown;
  try {
    value = await readInputJson(path, { maxBytes: INPUT_LIMITS.small });
  } catch (error) {
    if (error instanceof InputFileProblem) return { problem: `${path} ${error.message}` };
    throw error;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { value: value as TrustedRootJson };
  return { problem: `${path} is not a JSON object` };
}

async function readKeys(entry: PolicyEntry, base: string, where: string, problems: string[]): Promise<TrustedKeys> {
  const fingerprints: string[] = [];
  entry.fingerprints.forEach((text, index) => {
    const normalized = normalizeFingerprint(text);
    if (normalized) fingerprints.push(normalized);
    else problems.push(`${where}.fingerprints[${index}]: "${text}" is not a 40-hex-digit OpenPGP v4 fingerprint`);
  });
  const sources = await Promise.all(
    entry.keys.map(async (path, index) => {
      const absolute = isAbsolute(path) ? path : join(base, path);
      try {
        const bytes = await readInputFile(absolute, { maxBytes: INPUT_LIMITS.small });
        // Bytes: binary exports (`gpg --export` without --armor) are read as well as armored ones.
        return { armored: bytes, source: absolute };
      } catch (error) {
        if (!(error instanceof InputFileProblem)) throw error;
        problems.push(`${where}.keys[${index}]: ${absolute} ${error.message}`);
        return undefined;
      }
    }),
  );
  const readable = sources.filter((source) => source !== undefined);
  const keys: TrustedKeys = { keys: [], given: 0 };
  if (readable.length === 0) return keys;
  try {
    const loaded = await loadTrustedKeys({ keys: readable, fingerprints });
    if (loaded.given > 0 && loaded.keys.length === 0) {
      problems.push(`${where}.fingerprints: none of the keys has one of these fingerprints`);
    }
    return loaded;
  } catch (error) {
    if (!isPhpublishError(error)) throw error;
    // A private key in a policy is exposed wherever the policy is kept: say so, not only that it is refused.
    const exposed = error.code === 'TRUSTED_KEY_PRIVATE' ? ` (${error.remedy.replace(/\.$/, '')})` : '';
    problems.push(`${where}.keys: ${error.message.replace(/\.$/, '')}${exposed}`);
    return keys;
  }
}
