import { defineErrors, type ErrorDefinition } from './definition.js';

/** The changesets host's page, relative to the docs root. */
const PAGE = 'changesets.md';

/** The changesets host (`phpublish-changesets`): what changesets released, and where it may be published from. */
export const changesetsErrors = defineErrors({
  CHANGESETS_OUTPUT_UNREADABLE: {
    title: 'The changesets output could not be read',
    message: (p: { path: string; problem: string }) =>
      `The changesets output ${p.path} could not be read: ${p.problem}.`,
    remedy: () =>
      'Pass the file changesets wrote: with @changesets/cli 3, the same CHANGESETS_OUTPUT (or --output) that `changeset git-tag` got; with 2, the saved stdout of `changeset tag` or `changeset publish` (or `--output -` to read it from a pipe). Without --output and CHANGESETS_OUTPUT, phpublish-changesets releases the root package.json version whose tag the remote does not have yet.',
    docs: `${PAGE}#what-is-released`,
  } satisfies ErrorDefinition<{ path: string; problem: string }>,
  CHANGESETS_OUTPUT_MALFORMED: {
    title: 'The changesets output holds an event phpublish cannot read',
    message: (p: { path: string; line: number; problem: string }) =>
      `Line ${p.line} of the changesets output ${p.path} ${p.problem}.`,
    remedy: () =>
      'The file must be what changesets wrote: NDJSON events from @changesets/cli 3 (`{"type":"git-tag","tag":…,"packageName":…}`) or the stdout of @changesets/cli 2. Check that nothing else writes to it, and that it is the file of this run.',
    docs: `${PAGE}#what-is-released`,
  } satisfies ErrorDefinition<{ path: string; line: number; problem: string }>,
  CHANGESETS_WORKSPACE_UNREADABLE: {
    title: 'The changesets workspace could not be read',
    message: (p: { cwd: string; problem: string }) =>
      `phpublish-changesets could not read the packages of the workspace at ${p.cwd}: ${p.problem}.`,
    remedy: () =>
      'Run it from the repository root, where the root package.json (private, beside composer.json) and .changeset/ are.',
    docs: `${PAGE}#repository-layout`,
  } satisfies ErrorDefinition<{ cwd: string; problem: string }>,
  CHANGESETS_RELEASE_NOT_CURRENT: {
    title: 'changesets names a release that is not the package’s current version',
    message: (p: { tag: string; packageName: string; version: string }) =>
      `The changesets output names ${p.tag} for ${p.packageName}, but its package.json says version ${p.version}: this checkout is not the one changesets tagged.`,
    remedy: () =>
      'Run phpublish-changesets right after `changeset tag` / `changeset git-tag`, in the same checkout, with the output of that run (a CHANGESETS_OUTPUT file left from an earlier run names old tags). Nothing was tagged or published.',
    docs: `${PAGE}#what-is-released`,
  } satisfies ErrorDefinition<{ tag: string; packageName: string; version: string }>,
  CHANGESETS_PHP_PACKAGES_IN_SUBFOLDERS: {
    title: 'PHP packages in subfolders cannot be published from one repository',
    message: (p: { packages: string[] }) =>
      `This repository releases PHP packages from subfolders: ${p.packages.join('; ')}. Packagist reads one package from the root of a repository, and Composer installs a version by its tag (v1.2.3), not by name@version.`,
    remedy: () =>
      'Give each PHP package its own repository (a read-only split, e.g. with splitsh-lite or a subtree split in CI), with composer.json at its root and v<version> tags, and register each split repository on Packagist. A repository holding one PHP package keeps composer.json and a private package.json at its root.',
    docs: `${PAGE}#several-php-packages`,
  } satisfies ErrorDefinition<{ packages: string[] }>,
  CHANGESETS_TAG_ON_REMOTE_NOT_SIGNED: {
    title: 'The remote already has the release tag, not signed by the release key',
    message: (p: { tag: string; remote: string; problem: string }) =>
      `${p.remote} already has tag ${p.tag}, and it ${p.problem}. phpublish does not replace a tag that others may already have fetched.`,
    remedy: () =>
      'Something pushed the tag before phpublish-changesets ran: changesets/action pushes its own lightweight tag after the publish script, `changeset publish` may push with --follow-tags, or a workflow runs `git push --tags`. Run phpublish-changesets in the publish script, before anything pushes tags. For this version: release the change as a new version, or, if nobody can have installed it yet, delete the tag on the remote and run again.',
    docs: `${PAGE}#tags-on-the-remote`,
  } satisfies ErrorDefinition<{ tag: string; remote: string; problem: string }>,
});
