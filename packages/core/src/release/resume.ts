import { releaseTagsNewestFirst } from '../composer/index.js';
import { isPhpublishError } from '../errors/index.js';
import { git, resolveCommit, verifyTag } from '../git/index.js';
import { findVersion, referenceOf } from '../packagist/index.js';
import { type SigningKey, trustSigningKey } from '../pgp/index.js';
import { privatePackagistListing } from '../private-packagist/index.js';
import { packagistClientFor, type ReleaseContext } from './context.js';
import type { PackagistTarget } from './packagist-target.js';

export interface UnfinishedRelease {
  tag: string;
  commit: string;
}

/**
 * The release a previous run tagged but did not finish, if any: the newest release tag reachable from
 * HEAD, by Composer's version order (not git's name order, in which `v3.8.2` is above `7.8.1`), that this
 * key signed (so it is ours) and that Packagist does not serve yet.
 * Host tools that push the tag before publishing (semantic-release) never publish that version
 * again, so finishing it is up to us.
 */
export async function findUnfinishedRelease(
  context: ReleaseContext,
  { target, signingKey }: { target: PackagistTarget; signingKey?: SigningKey },
): Promise<UnfinishedRelease | undefined> {
  if (!signingKey || context.config.packagist.mode === 'off') return undefined;
  const options = { cwd: context.cwd, env: context.env };
  let tags: string[];
  try {
    tags = (await git(['tag', '--merged', 'HEAD'], options)).split('\n');
  } catch {
    return undefined;
  }
  const tag = releaseTagsNewestFirst(tags)[0]?.tag;
  if (!tag) return undefined;
  try {
    await verifyTag({ ...options, tag, trusted: trustSigningKey(signingKey) });
  } catch (error) {
    if (isPhpublishError(error)) return undefined; // not ours, or not signed: not a release we started
    throw error;
  }
  const commit = await resolveCommit(`refs/tags/${tag}`, options);
  if (!commit) return undefined;
  // Private Packagist: ask the organisation's repository, never the public registry about a private name.
  if (context.config.packagist.mode === 'private-packagist') {
    const listing = await privatePackagistListing(context, target.packageName, tag);
    return listing === 'not-listed' ? { tag, commit } : undefined;
  }
  const result = await packagistClientFor(context).getVersions(target.packageName);
  const entry = result.state === 'found' ? findVersion(result.versions, tag) : undefined;
  if (entry && referenceOf(entry) === commit) return undefined;
  return { tag, commit };
}
