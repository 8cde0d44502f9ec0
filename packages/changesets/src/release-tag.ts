// The release tag before phpublish publishes: changesets (`changeset tag`, `changeset git-tag`) may
// already have made a local, unsigned annotated tag, and a previous run, or another tool, may already
// have pushed one. The signed tag must be on the remote before changesets/action creates its own
// lightweight tag through the API (which keeps an existing ref), so it is decided here, cleanly.
import { isPhpublishError, PhpublishError } from '@phpublish/core';
import {
  createSignedTag,
  runGit,
  type TagGitOptions,
  verifyTagObject,
  withoutSigningSecrets,
} from '@phpublish/core/git';
import { type Logger, Redactor } from '@phpublish/core/log';
import { type SigningKey, trustSigningKey } from '@phpublish/core/pgp';

export interface ReleaseTagInput extends TagGitOptions {
  tag: string;
  remote: string;
}

/** Where the release stands, found without changing anything. */
export interface ReleaseTagState {
  /** The commit to release: the local tag's (the one changesets tagged), else the remote tag's, else HEAD. */
  commit: string;
  /** Whether a local tag exists (changesets' own: unsigned, not pushed, unless a previous run signed it). */
  localTag: boolean;
  /** The remote's tag, when it has one (then at `commit`). */
  remoteTag?: { oid: string; commit: string };
}

/**
 * Finds the commit to release and the tag on the remote (one `ls-remote`), changing nothing. A
 * remote tag at another commit is TAG_EXISTS_AT_OTHER_COMMIT: release tags never move.
 */
export async function locateReleaseTag(input: ReleaseTagInput): Promise<ReleaseTagState> {
  const git = gitOptions(input);
  const { tag, remote } = input;
  const local = await revParse(`refs/tags/${tag}^{commit}`, git);
  const onRemote = await remoteTag(input);
  const commit = local ?? onRemote?.commit ?? (await revParse('HEAD^{commit}', git));
  if (!commit) throw new PhpublishError('TAG_TARGET_NOT_FOUND', { target: 'HEAD' });
  if (onRemote && onRemote.commit !== commit) {
    throw new PhpublishError('TAG_EXISTS_AT_OTHER_COMMIT', {
      tag,
      expected: commit,
      actual: `${onRemote.commit} (on ${remote})`,
    });
  }
  return { commit, localTag: local !== undefined, ...(onRemote ? { remoteTag: onRemote } : {}) };
}

/**
 * A tag already on the remote must be signed by the release key: a lightweight or unsigned tag
 * (pushed by something that ran before phpublish) is CHANGESETS_TAG_ON_REMOTE_NOT_SIGNED, never replaced.
 */
export async function checkRemoteTagSigned(
  input: ReleaseTagInput,
  state: ReleaseTagState,
  key: SigningKey,
): Promise<void> {
  if (!state.remoteTag) return;
  const problem = await signatureProblem(input, state.remoteTag.oid, key);
  if (problem) {
    throw new PhpublishError('CHANGESETS_TAG_ON_REMOTE_NOT_SIGNED', { tag: input.tag, remote: input.remote, problem });
  }
}

/**
 * Makes the local tag the signed one, before anything is pushed: the remote's signed tag on a re-run
 * (changesets may have made a new unsigned one locally), or a new signed tag at the same commit in
 * place of the unsigned one changesets made and did not push. Core's publish then creates the tag if
 * there is none, verifies it and pushes it.
 */
export async function makeLocalTagSigned(
  input: ReleaseTagInput & { logger: Logger; signingKey: SigningKey | undefined },
  state: ReleaseTagState,
): Promise<void> {
  const { tag, signingKey, logger } = input;
  const git = gitOptions(input);
  if (state.remoteTag) {
    const localOid = await revParse(`refs/tags/${tag}`, git);
    if (localOid !== state.remoteTag.oid) {
      await checkedGit(
        ['update-ref', '-m', `phpublish: ${tag} as on ${input.remote}`, `refs/tags/${tag}`, state.remoteTag.oid],
        git,
        tag,
      );
    }
    logger.info(`phpublish: ${tag} is already on ${input.remote}, signed: continuing that release.`);
    return;
  }
  if (!state.localTag || !signingKey) return;
  const { created } = await createSignedTag({
    ...git,
    tag,
    target: state.commit,
    message: `Release ${tag}`,
    key: signingKey,
    replaceExisting: true,
  });
  if (created) {
    logger.success(
      `Replaced the unsigned local ${tag} (made by changesets, not pushed) with an OpenPGP-signed annotated tag at the same commit (key ${signingKey.fingerprint}).`,
    );
  }
}

/** The remote's tag: the object id and the commit it peels to; undefined when the remote has none (or cannot be read). */
export async function remoteTag(
  input: Pick<ReleaseTagInput, 'cwd' | 'env' | 'tag' | 'remote'>,
): Promise<{ oid: string; commit: string } | undefined> {
  const ref = `refs/tags/${input.tag}`;
  const listed = await runGit(['ls-remote', '--end-of-options', input.remote, ref, `${ref}^{}`], gitOptions(input));
  // An unreachable remote is reported by the push, with git's reason.
  if (listed.exitCode !== 0) return undefined;
  const refs = new Map<string, string>();
  for (const line of listed.stdout.toString('utf8').split('\n')) {
    const [oid, name] = line.split('\t');
    if (oid && name) refs.set(name, oid);
  }
  const oid = refs.get(ref);
  return oid ? { oid, commit: refs.get(`${ref}^{}`) ?? oid } : undefined;
}

/** Why the remote's tag object is not signed by `key`, or undefined when it is. Fetches the object. */
async function signatureProblem(input: ReleaseTagInput, oid: string, key: SigningKey): Promise<string | undefined> {
  const git = gitOptions(input);
  const ref = `refs/tags/${input.tag}`;
  const fetched = await runGit(['fetch', '--quiet', '--no-tags', '--end-of-options', input.remote, ref], git);
  if (fetched.exitCode !== 0) {
    // Unproven is refused like unsigned; a remote URL in git's complaint may carry credentials.
    return `could not be fetched to check its signature (${new Redactor().redact(fetched.stderr.trim())})`;
  }
  const type = (await runGit(['cat-file', '-t', oid], git)).stdout.toString('utf8').trim();
  if (type !== 'tag') return 'is a lightweight tag (no tag object, so no signature)';
  const raw = await runGit(['cat-file', 'tag', oid], git);
  try {
    await verifyTagObject(raw.stdout, { tag: input.tag, trusted: trustSigningKey(key) });
    return undefined;
  } catch (error) {
    if (!isPhpublishError(error)) throw error;
    return error.code === 'TAG_NOT_SIGNED'
      ? 'is an annotated tag without a signature'
      : `is not signed by the release key ${key.fingerprint} (${error.code})`;
  }
}

function gitOptions(input: TagGitOptions): TagGitOptions {
  return { cwd: input.cwd, env: withoutSigningSecrets(input.env) };
}

async function revParse(rev: string, git: TagGitOptions) {
  const result = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', rev], git);
  return result.exitCode === 0 ? result.stdout.toString('utf8').trim() : undefined;
}

async function checkedGit(args: string[], git: TagGitOptions, tag: string) {
  const result = await runGit(args, git);
  if (result.exitCode !== 0) {
    // A remote URL in git's complaint may carry credentials.
    const reason = new Redactor().redact(result.stderr.trim() || `exit code ${result.exitCode}`);
    throw new PhpublishError('TAG_WRITE_FAILED', { tag, reason: `git ${args[0]} failed: ${reason}` });
  }
}
