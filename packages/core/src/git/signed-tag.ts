import { PhpublishError } from '../errors/index.js';
import { Redactor } from '../log/index.js';
import { PASSPHRASE_VARIABLE, PRIVATE_KEY_VARIABLE } from '../pgp/key-material.js';
import { signDetached } from '../pgp/sign.js';
import type { SigningKey } from '../pgp/signing-key.js';
import { type TrustedKeys, trustSigningKey } from '../pgp/trusted-keys.js';
import { type SignatureFacts, type SignerFacts, verifyDetached } from '../pgp/verify.js';
import type { GitContext } from './context.js';
import { type GitRunResult, gitComplaint, runGit } from './run.js';
import {
  buildTagPayload,
  normalizeTagMessage,
  parseTagObject,
  TagMessageProblem,
  type TagObject,
  TagObjectProblem,
} from './tag-object.js';

export interface TagGitOptions extends GitContext {
  /** The environment git runs with (PATH, identity, credentials). Signing secrets are removed from it. */
  env: Record<string, string | undefined>;
}

export interface CreateSignedTagInput extends TagGitOptions {
  /** The tag name, e.g. `v1.2.3`. */
  tag: string;
  /** What to tag: any commit-ish; default `HEAD`. Always peeled to a commit. */
  target?: string;
  message: string;
  key: SigningKey;
  /** `Name <email> <unix-seconds> <+hhmm>`; default: git's committer identity (`git var GIT_COMMITTER_IDENT`). */
  tagger?: string;
  /** Signature creation time; default now. */
  now?: Date;
  /**
   * Replace an existing tag *at the same commit* that is not signed by this key (a lightweight tag
   * a release tool made a moment ago, not yet pushed). A tag at another commit is never moved.
   */
  replaceExisting?: boolean;
}

export interface SignedTag {
  tag: string;
  ref: string;
  /** The id of the tag object. */
  oid: string;
  /** The commit it points at. */
  commit: string;
  /** False when the same tag, signed by this key, already existed (a re-run). */
  created: boolean;
  signerFingerprint: string;
}

/**
 * Creates an annotated tag signed with `key` — the same object `git tag -s` makes — with git
 * plumbing only (`git mktag`, `git update-ref`), so no gpg is involved. Safe to re-run: when the tag
 * already exists at the commit and is signed by this key, it is left alone.
 */
export async function createSignedTag(input: CreateSignedTagInput): Promise<SignedTag> {
  const options = { cwd: input.cwd, env: withoutSigningSecrets(input.env) };
  const { tag, key } = input;
  const ref = `refs/tags/${tag}`;
  if ((await runGit(['check-ref-format', ref], options)).exitCode !== 0) {
    throw new PhpublishError('TAG_NAME_INVALID', { tag });
  }
  let message: string;
  try {
    message = normalizeTagMessage(input.message);
  } catch (error) {
    if (error instanceof TagMessageProblem) throw new PhpublishError('TAG_MESSAGE_INVALID', { problem: error.message });
    throw error;
  }
  const target = input.target ?? 'HEAD';
  const commit = await revParse(`${target}^{commit}`, options);
  if (!commit) throw new PhpublishError('TAG_TARGET_NOT_FOUND', { target });

  const existing = await revParse(ref, options);
  if (existing) {
    const existingCommit = await revParse(`${ref}^{commit}`, options);
    if (existingCommit !== commit) {
      throw new PhpublishError('TAG_EXISTS_AT_OTHER_COMMIT', {
        tag,
        expected: commit,
        actual: existingCommit ?? existing,
      });
    }
    if (await isSignedBy(existing, tag, key, options)) {
      return { tag, ref, oid: existing, commit, created: false, signerFingerprint: key.fingerprint };
    }
    if (!input.replaceExisting) throw new PhpublishError('TAG_EXISTS_UNSIGNED', { tag, fingerprint: key.fingerprint });
  }

  const tagger = input.tagger ?? (await committerIdent(options, tag));
  const payload = buildTagPayload({ object: commit, type: 'commit', tag, tagger, message });
  const signature = await signDetached(key, payload, { now: input.now ?? new Date() });
  const tagObject = Buffer.concat([payload, Buffer.from(signature.armored, 'utf8')]);

  const written = await runGit(['mktag'], { ...options, input: tagObject });
  if (written.exitCode !== 0) throw writeFailed(tag, written);
  const oid = written.stdout.toString('utf8').trim();
  // The old value makes the update atomic: it fails if someone else created or moved the tag meanwhile.
  const updated = await runGit(['update-ref', '-m', `phpublish: signed tag ${tag}`, ref, oid, existing ?? ''], options);
  if (updated.exitCode !== 0) throw writeFailed(tag, updated);

  // Read back what git stored and verify it, so that a tag we hand over always verifies.
  if (!(await isSignedBy(oid, tag, key, options))) {
    await runGit(['update-ref', '-d', ref, oid], options);
    throw new PhpublishError('TAG_WRITE_FAILED', { tag, reason: 'the stored tag did not verify; it was removed' });
  }
  return { tag, ref, oid, commit, created: true, signerFingerprint: key.fingerprint };
}

export interface PushTagInput extends TagGitOptions {
  tag: string;
  /** A remote name or URL; default `origin`. */
  remote?: string;
  /** How long the push may take, and then the look at the remote after a failed push; 5 minutes by default. */
  timeoutMs?: number;
}

/** `signing.pushTimeout`'s default: a tag push that takes longer is a hung remote, not a slow one. */
export const DEFAULT_PUSH_TIMEOUT_MS = 300_000;

/**
 * Pushes one tag, never forcing. Succeeds when the remote already has exactly this tag (a re-run);
 * fails with TAG_PUSH_FAILED otherwise, with git's reason (credentials in URLs removed), and with
 * TAG_PUSH_TIMED_OUT when the remote holds the push longer than `timeoutMs` (git and what it started
 * are stopped; nothing was forced, and a re-run finds the tag if the remote did take it).
 */
export async function pushTag(input: PushTagInput): Promise<{ pushed: boolean }> {
  const options = { cwd: input.cwd, env: withoutSigningSecrets(input.env) };
  const timeoutMs = input.timeoutMs ?? DEFAULT_PUSH_TIMEOUT_MS;
  const remote = input.remote ?? 'origin';
  const ref = `refs/tags/${input.tag}`;
  const scrub = new Redactor();
  const local = await revParse(ref, options);
  if (!local) throw new PhpublishError('TAG_NOT_FOUND', { tag: input.tag });
  // `--end-of-options`: a remote that starts with `-` (`--receive-pack=…`) is a name, never an option.
  const pushed = await runGit(['push', '--porcelain', '--end-of-options', remote, `${ref}:${ref}`], {
    ...options,
    timeoutMs,
  });
  if (pushed.timedOut) {
    throw new PhpublishError('TAG_PUSH_TIMED_OUT', {
      tag: input.tag,
      remote: scrub.redact(remote),
      seconds: Math.round(timeoutMs / 1000),
    });
  }
  if (pushed.exitCode === 0) return { pushed: !pushed.stdout.toString('utf8').includes('\t[up to date]') };
  const listed = await runGit(['ls-remote', '--end-of-options', remote, ref], { ...options, timeoutMs });
  const remoteOid = listed.exitCode === 0 ? listed.stdout.toString('utf8').split(/\s/)[0] : undefined;
  if (remoteOid === local) return { pushed: false };
  throw new PhpublishError('TAG_PUSH_FAILED', {
    tag: input.tag,
    remote: scrub.redact(remote),
    reason: scrub.redact(rejectionOf(pushed, ref) ?? gitComplaint(pushed)),
  });
}

/** The remote's verdict on `ref` from `git push --porcelain` (`!\t<from>:<to>\t[rejected] (already exists)`). */
function rejectionOf(pushed: GitRunResult, ref: string): string | undefined {
  const line = pushed.stdout
    .toString('utf8')
    .split('\n')
    .find((l) => l.startsWith('!\t') && l.includes(`:${ref}\t`));
  return line?.split('\t')[2]?.trim() || undefined;
}

/** Reads the raw tag object a tag ref points at. Throws TAG_NOT_FOUND / TAG_NOT_ANNOTATED / TAG_OBJECT_INVALID. */
export async function readTagObject(input: TagGitOptions & { tag: string }): Promise<TagObject> {
  const options = { cwd: input.cwd, env: withoutSigningSecrets(input.env) };
  const ref = `refs/tags/${input.tag}`;
  const oid = await revParse(ref, options);
  if (!oid) throw new PhpublishError('TAG_NOT_FOUND', { tag: input.tag });
  const type = (await runGit(['cat-file', '-t', oid], options)).stdout.toString('utf8').trim();
  if (type !== 'tag') throw new PhpublishError('TAG_NOT_ANNOTATED', { tag: input.tag });
  const raw = await runGit(['cat-file', 'tag', oid], options);
  if (raw.exitCode !== 0)
    throw new PhpublishError('TAG_OBJECT_INVALID', { tag: input.tag, problem: gitComplaint(raw) });
  return parseTagOrThrow(raw.stdout, input.tag);
}

export interface VerifiedTag {
  tag: string;
  /** The object (commit) the signed tag points at. */
  object: string;
  type: string;
  signer: SignerFacts;
  signature: SignatureFacts;
  /** The signer's key has expired since it signed (the signature is still good, as for GnuPG). */
  keyExpired: boolean;
}

export interface VerifyTagInput extends TagGitOptions {
  tag: string;
  trusted: TrustedKeys;
  now?: Date;
}

/** Verifies a tag in a repository: annotated, named as its ref, signed by a trusted key over exactly its bytes. */
export async function verifyTag(input: VerifyTagInput): Promise<VerifiedTag> {
  const tagObject = await readTagObject(input);
  return verifyTagObject(tagObject, {
    tag: input.tag,
    trusted: input.trusted,
    ...(input.now ? { now: input.now } : {}),
  });
}

/**
 * Verifies a tag object's bytes (no git needed). `tag` is the name the tag is known by (its ref):
 * the signed `tag` header must say the same, or a signed v1.0.0 could be passed off as v2.0.0.
 */
export async function verifyTagObject(
  raw: Buffer | TagObject,
  { tag, trusted, now = new Date() }: { tag: string; trusted: TrustedKeys; now?: Date },
): Promise<VerifiedTag> {
  const tagObject = Buffer.isBuffer(raw) ? parseTagOrThrow(raw, tag) : raw;
  if (!tagObject.signature || tagObject.signatureFormat !== 'openpgp')
    throw new PhpublishError('TAG_NOT_SIGNED', { tag });
  if (trusted.given === 0) throw new PhpublishError('SIGNING_NO_TRUSTED_KEYS');
  const result = await verifyDetached({ data: tagObject.payload, armoredSignature: tagObject.signature, trusted, now });
  switch (result.status) {
    case 'malformed':
      throw new PhpublishError('TAG_SIGNATURE_MALFORMED', { tag, problem: result.problem });
    case 'no-public-key':
      throw new PhpublishError('TAG_SIGNER_UNTRUSTED', { tag, keyId: result.signature.issuerKeyId });
    case 'bad':
      throw new PhpublishError('TAG_SIGNATURE_BAD', { tag, keyId: result.signature.issuerKeyId });
    case 'revoked-key':
      throw new PhpublishError('TAG_SIGNER_REVOKED', { tag, fingerprint: result.signer.fingerprint });
  }
  // Checked after the signature: the name is only meaningful once we know the bytes are authentic.
  if (tagObject.tag !== tag) throw new PhpublishError('TAG_NAME_MISMATCH', { tag, actual: tagObject.tag });
  return {
    tag,
    object: tagObject.object,
    type: tagObject.type,
    signer: result.signer,
    signature: result.signature,
    keyExpired: result.keyExpired,
  };
}

/** The environment for git children: signing secrets are for phpublish, not for hooks or helpers. */
export function withoutSigningSecrets(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const { [PRIVATE_KEY_VARIABLE]: _key, [PASSPHRASE_VARIABLE]: _passphrase, ...rest } = env;
  return rest;
}

async function isSignedBy(oid: string, tag: string, key: SigningKey, options: TagGitOptions): Promise<boolean> {
  const raw = await runGit(['cat-file', 'tag', oid], options);
  if (raw.exitCode !== 0) return false;
  try {
    await verifyTagObject(raw.stdout, { tag, trusted: trustSigningKey(key) });
    return true;
  } catch {
    return false;
  }
}

function parseTagOrThrow(raw: Buffer, tag: string): TagObject {
  try {
    return parseTagObject(raw);
  } catch (error) {
    if (error instanceof TagObjectProblem)
      throw new PhpublishError('TAG_OBJECT_INVALID', { tag, problem: error.message });
    throw error;
  }
}

async function revParse(rev: string, options: TagGitOptions): Promise<string | undefined> {
  const result = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', rev], options);
  return result.exitCode === 0 ? result.stdout.toString('utf8').trim() : undefined;
}

async function committerIdent(options: TagGitOptions, tag: string): Promise<string> {
  const result = await runGit(['var', 'GIT_COMMITTER_IDENT'], options);
  if (result.exitCode !== 0) throw writeFailed(tag, result);
  return result.stdout.toString('utf8').trim();
}

function writeFailed(tag: string, result: GitRunResult): PhpublishError {
  return new PhpublishError('TAG_WRITE_FAILED', { tag, reason: new Redactor().redact(gitComplaint(result)) });
}
