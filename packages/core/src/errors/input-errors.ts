import { quoteValue as quoted } from '../input/quote.js';
import { defineErrors, type ErrorDefinition } from './definition.js';

/** Local input that cannot be used: command-line values, policy and lock files. */
export const inputErrors = defineErrors({
  VERIFY_LOCK_ENTRY_INVALID: {
    title: 'A composer.lock entry does not say exactly what is installed',
    message: (p: { packageName: string; where: string; problem: string }) =>
      `The composer.lock entry of ${p.packageName} (${p.where}) cannot be verified: ${p.problem}.`,
    remedy: () =>
      'composer.lock must pin every package to the commit it installs. Restore the file from version control or let Composer write it again (`composer update --lock`); an entry edited by hand is a warning sign.',
    docs: 'verify.md#verifying-a-composerlock',
  } satisfies ErrorDefinition<{ packageName: string; where: string; problem: string }>,
  VERIFY_COMMIT_ID_INVALID: {
    title: 'The commit to verify is not a full commit id',
    message: (p: { tag: string; commit: string }) =>
      `The version is pinned to ${quoted(p.commit)}, which is not a full commit id (40 or 64 lowercase hexadecimal digits): tag ${p.tag} cannot be compared with it.`,
    remedy: () =>
      'What is installed must be one fixed commit. A branch name or HEAD in composer.lock (or in the metadata) installs whatever it points at that day: restore the lock file from version control, or let Composer write it again.',
    docs: 'verify.md#the-release-tag',
  } satisfies ErrorDefinition<{ tag: string; commit: string }>,
  PUBLISH_COMMIT_NOT_FOUND: {
    title: 'The commit to release does not exist in this repository',
    message: (p: { ref: string; fromOption: boolean }) =>
      p.fromOption
        ? `--commit ${quoted(p.ref)} names no commit in this repository.`
        : `${p.ref} names no commit in this repository (it has no commits yet?), so there is nothing to tag.`,
    remedy: (p) =>
      p.fromOption
        ? 'Give a commit id, branch or tag that exists here (`git log --oneline` lists commits); when it was made elsewhere, fetch it first (`git fetch`).'
        : 'Commit what you want to release, or pass --commit <ref>, then run again.',
    docs: 'cli.md#phpublish-publish',
  } satisfies ErrorDefinition<{ ref: string; fromOption: boolean }>,
  PUBLISH_TAG_AT_OTHER_COMMIT: {
    title: 'The tag exists at another commit than --commit names',
    message: (p: { tag: string; tagCommit: string; ref: string; commit: string }) =>
      `Tag ${p.tag} already exists at ${p.tagCommit}, but --commit ${quoted(p.ref)} names ${p.commit}.`,
    remedy: () =>
      'Leave out --commit to continue the release of the existing tag, or release the other commit under a new version: a published tag is never moved.',
    docs: 'cli.md#phpublish-publish',
  } satisfies ErrorDefinition<{ tag: string; tagCommit: string; ref: string; commit: string }>,
  CONFIG_FILE_UNREADABLE: {
    title: 'The options file cannot be read',
    message: (p: { file: string; problem: string }) => `The options file ${p.file} cannot be used: it ${p.problem}.`,
    remedy: () =>
      'Pass --config the path of a JSON options file (UTF-8, each option once), or leave it out to use phpublish.config.json when it exists.',
    docs: 'configuration.md#options',
  } satisfies ErrorDefinition<{ file: string; problem: string }>,
});
