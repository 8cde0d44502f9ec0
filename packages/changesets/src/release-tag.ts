// The release tag before phpublish publishes: changesets (`changeset tag`, `changeset git-tag`) may
// already have made a local, unsigned annotated tag, and a previous run, or another tool, may already
// have pushed one. The signed tag must be on the remote before changesets/action creates its own
// lightweight tag through the API (which keeps an existing ref), so it is decided here, cleanly.
import {
  createSignedTag,
  isPhpublishError,
  type Logger,
  PhpublishError,
  Redactor,
  runGit,
  type SigningKey,
  trustSigningKey,
  verifyTagObject,
  withoutSigningSecrets,
} from '@phpublish/core';

export interface ReleaseTagInput {
  cwd: string;
  env: Record<string, string | undefined>;
  tag: string;
  remote: string;
  /** The key tags are signed with; undefined when signing is off (then nothing is checked here). */
  signingKey: SigningKey | undefined;
  logger: Logger;
}

/** Where the release stands: the commit to release, and whether the remote already has the signed tag. */
export interface ReleaseTagState {
  commit: string;
  /** The remote already has this tag, signed by the release key at `commit`: a re-run resumes it. */
  onRemote: boolean;
  /** A local tag changesets made (unsigned, not pushed) that `makeLocalTagSigned` will replace. */
  replacesLocalTag: boolean;
}

/**
 * Finds the commit to release and checks the remote, changing nothing: the local tag's commit (the one
 * changesets tagged), else the remote tag's, else HEAD. A remote tag must point at that commit and be
 * signed by the release key: otherwise TAG_EXISTS_AT_OTHER_COMMIT or CHANGESETS_TAG_ON_REMOTE_NOT_SIGNED.
 */
export async function inspectReleaseTag(input: ReleaseTagInput): Promise<ReleaseTagState> {
  const git = gitOptions(input);
  const { tag, remote } = input;
  const local = await revParse(`refs/tags/${tag}^{commit}`, git);
  const onRemote = await remoteTag(input);
  const commit = local ?? onRemote?.commit ?? (await revParse('HEAD^{commit}', git));
  if (!commit) throw new PhpublishError('TAG_TARGET_NOT_FOUND', { target: 'HEAD' });
  if (onRemote) {
    if (onRemote.commit !== commit) {
      throw new PhpublishError('TAG_EXISTS_AT_OTHER_COMMIT', {
        tag,
        expected: commit,
        actual: `${onRemote.commit} (on ${remote})`,
      });
    }
    if (input.signingKey) {
      const problem = await signatureProblem(input, onRemote.oid, input.signingKey);
      if (problem) throw new PhpublishError('CHANGESETS_TAG_ON_REMOTE_NOT_SIGNED', { tag, remote, problem });
    }
    return { commit, onRemote: true, replacesLocalTag: false };
  }
  const replacesLocalTag =
    local !== undefined && input.signingKey !== undefined && !(await isLocalTagSignedBy(input, input.signingKey));
  return { commit, onRemote: false, replacesLocalTag };
}

/**
 * Makes the local tag the signed one, before anything is pushed: the remote's signed tag on a re-run
 * (changesets may have made a new unsigned one locally), or a new signed tag at the same commit in
 * place of the unsigned one changesets made and did not push. Core's publish then creates the tag if
 * there is none, verifies it and pushes it.
 */
export async function makeLocalTagSigned(input: ReleaseTagInput, state: ReleaseTagState): Promise<void> {
  const { tag, signingKey, logger } = input;
  const git = gitOptions(input);
  if (state.onRemote) {
    const remoteOid = (await remoteTag(input))?.oid;
    const localOid = await revParse(`refs/tags/${tag}`, git);
    if (remoteOid && localOid !== remoteOid) {
      await checkedGit(
        ['update-ref', '-m', `phpublish: ${tag} as on ${input.remote}`, `refs/tags/${tag}`, remoteOid],
        git,
        tag,
      );
      logger.info(`phpublish: ${tag} is already on ${input.remote}, signed: continuing that release.`);
    }
    return;
  }
  if (!state.replacesLocalTag || !signingKey) return;
  await createSignedTag({
    ...git,
    tag,
    target: state.commit,
    message: `Release ${tag}`,
    key: signingKey,
    replaceExisting: true,
  });
  logger.success(
    `Replaced the unsigned local ${tag} (made by changesets, not pushed) with an OpenPGP-signed annotated tag at the same commit (key ${signingKey.fingerprint}).`,
  );
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
  await checkedGit(['fetch', '--quiet', '--no-tags', '--end-of-options', input.remote, ref], git, input.tag);
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

async function isLocalTagSignedBy(input: ReleaseTagInput, key: SigningKey): Promise<boolean> {
  const git = gitOptions(input);
  const raw = await runGit(['cat-file', 'tag', `refs/tags/${input.tag}`], git);
  if (raw.exitCode !== 0) return false; // a lightweight tag
  try {
    await verifyTagObject(raw.stdout, { tag: input.tag, trusted: trustSigningKey(key) });
    return true;
  } catch (error) {
    if (isPhpublishError(error)) return false;
    throw error;
  }
}

function gitOptions(input: Pick<ReleaseTagInput, 'cwd' | 'env'>): {
  cwd: string;
  env: Record<string, string | undefined>;
} {
  return { cwd: input.cwd, env: withoutSigningSecrets(input.env) };
}

async function revParse(rev: string, git: { cwd: string; env: Record<string, string | undefined> }) {
  const result = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', rev], git);
  return result.exitCode === 0 ? result.stdout.toString('utf8').trim() : undefined;
}

async function checkedGit(args: string[], git: { cwd: string; env: Record<string, string | undefined> }, tag: string) {
  const result = await runGit(args, git);
  if (result.exitCode !== 0) {
    // A remote URL in git's complaint may carry credentials.
    const reason = new Redactor().redact(result.stderr.trim() || `exit code ${result.exitCode}`);
    throw new PhpublishError('TAG_WRITE_FAILED', { tag, reason: `git ${args[0]} failed: ${reason}` });
  }
}
