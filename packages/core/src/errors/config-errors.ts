import { defineErrors, type ErrorDefinition } from './definition.js';

export const configErrors = defineErrors({
  REHEARSE_SANDBOX_MISSING: {
    title: 'phpublish rehearse needs the local stand-ins, which are not installed',
    message: () =>
      'phpublish rehearse needs the local stand-ins of @phpublish/sandbox (Packagist, Sigstore, GitHub on 127.0.0.1), which are not installed.',
    remedy: () =>
      'Install them beside the CLI (`npm install --save-dev @phpublish/sandbox`), or run `npx -p @phpublish/cli -p @phpublish/sandbox phpublish rehearse --sample`. Releases need neither.',
    docs: 'cli.md#phpublish-rehearse',
  } satisfies ErrorDefinition<void>,
  REHEARSE_HOST_MISSING: {
    title: 'phpublish rehearse --host needs the release tool and its phpublish plugin, which are not installed',
    message: (p: { host: string; packages: string[]; where: string }) =>
      `phpublish rehearse --host ${p.host} runs the real ${p.host} with its phpublish plugin, but ${p.packages.join(' and ')} cannot be found in a node_modules folder at or above ${p.where}.`,
    remedy: (p) =>
      `Install them where the rehearsal looks (\`npm install --save-dev ${p.packages.join(' ')}\` in the repository, or beside the CLI for --sample), or rehearse without --host.`,
    docs: 'cli.md#phpublish-rehearse',
  } satisfies ErrorDefinition<{ host: string; packages: string[]; where: string }>,
  REHEARSE_HOST_CONFIG_UNSUPPORTED: {
    title: 'phpublish rehearse cannot point this release configuration at the local stand-ins',
    message: (p: { host: string; problem: string }) =>
      `phpublish rehearse --host ${p.host} cannot point your ${p.host} configuration at the local stand-ins: ${p.problem}.`,
    remedy: (p) =>
      `Name the plugin by its package name in your ${p.host} configuration, or rehearse without --host. Nothing was released.`,
    docs: 'cli.md#phpublish-rehearse',
  } satisfies ErrorDefinition<{ host: string; problem: string }>,
  REHEARSE_COPY_FAILED: {
    title: 'phpublish rehearse could not copy the repository',
    message: (p: { cwd: string; problem: string }) =>
      `phpublish rehearse releases a temporary copy of the git repository in ${p.cwd}, but git could not make it: ${p.problem}`,
    remedy: () =>
      'Run it in the root of the PHP package’s git repository, with at least one commit (`git log` shows it), or rehearse the bundled sample with `--sample`.',
    docs: 'cli.md#phpublish-rehearse',
  } satisfies ErrorDefinition<{ cwd: string; problem: string }>,
  REHEARSE_HOST_FAILED: {
    title: 'The release tool stopped with an error during the rehearsal',
    message: (p: { host: string; exitCode: number }) =>
      `${p.host} stopped with exit code ${p.exitCode} while releasing the rehearsal's copy; its output is above.`,
    remedy: (p) =>
      `Read ${p.host}'s output above: it says which step failed (its configuration, a plugin, the phpublish plugin's preflight). Fix that and rehearse again; nothing outside the rehearsal's temporary folder was touched.`,
    docs: 'cli.md#phpublish-rehearse',
  } satisfies ErrorDefinition<{ host: string; exitCode: number }>,
  REHEARSE_HOST_RELEASED_NOTHING: {
    title: 'The release tool released nothing during the rehearsal',
    message: (p: { host: string }) => `${p.host} finished without pushing a new tag: it released nothing.`,
    remedy: () =>
      'Its output above says why. For semantic-release, usually no commit since the last tag calls for a release ("fix: …", "feat: …"), or the checked-out branch is not one of its release branches.',
    docs: 'cli.md#phpublish-rehearse',
  } satisfies ErrorDefinition<{ host: string }>,
  REHEARSE_COMPOSER_MISSING: {
    title: 'phpublish rehearse needs Composer, which is not installed',
    message: () =>
      'phpublish rehearse fetches the released version with Composer, as a consumer would, but `composer` is not on the PATH.',
    remedy: () =>
      'Install Composer (https://getcomposer.org/download/, or your system package) so that `composer` is on the PATH, and rehearse again. Releases do not need it.',
    docs: 'cli.md#phpublish-rehearse',
  } satisfies ErrorDefinition<void>,
  REHEARSE_COMPOSER_FAILED: {
    title: 'Composer could not fetch the rehearsed version from the local Packagist',
    message: (p: { packageName: string; version: string; output: string }) =>
      `Composer could not fetch ${p.packageName} ${p.version} from the local Packagist, as a consumer would. Composer said:\n${p.output}`,
    remedy: () =>
      'Read what Composer said above: a checksum mismatch or a missing version means the local Packagist does not serve what was released; anything else is about Composer on this machine (run `composer diagnose`). The rehearsal changed nothing outside its temporary folder.',
    docs: 'cli.md#phpublish-rehearse',
  } satisfies ErrorDefinition<{ packageName: string; version: string; output: string }>,
  CONFIG_INVALID: {
    title: 'An option has a value phpublish cannot use',
    message: (p: { path: string; problem: string }) => `Option \`${p.path}\` is invalid: ${p.problem}.`,
    remedy: (p) => `Fix \`${p.path}\` in your phpublish options; the options table lists every accepted value.`,
    docs: 'configuration.md#options',
  } satisfies ErrorDefinition<{ path: string; problem: string }>,
  CONFIG_UNKNOWN_OPTION: {
    title: 'An option phpublish does not know',
    message: (p: { path: string }) => `Unknown option \`${p.path}\`.`,
    remedy: (p) => `Remove \`${p.path}\` or check its spelling against the options table.`,
    docs: 'configuration.md#options',
  } satisfies ErrorDefinition<{ path: string }>,
  COMPOSER_JSON_MISSING: {
    title: 'No composer.json in the repository',
    message: (p: { path: string }) => `There is no readable composer.json at ${p.path}.`,
    remedy: () =>
      'Run phpublish from the root of the PHP package (or pass `cwd`), or set `packagist.packageName` explicitly.',
    docs: 'configuration.md#packagist-packagename',
  } satisfies ErrorDefinition<{ path: string }>,
  COMPOSER_JSON_INVALID: {
    title: 'composer.json cannot be used',
    message: (p: { path: string; problem: string }) => `${p.path} cannot be used: ${p.problem}.`,
    remedy: () => 'Fix composer.json (`composer validate` shows the details) and run again.',
    docs: 'configuration.md#packagist-packagename',
  } satisfies ErrorDefinition<{ path: string; problem: string }>,
  PACKAGE_NAME_INVALID: {
    title: 'The package name is not a valid Composer name',
    message: (p: { name: string }) => `"${p.name}" is not a valid Composer package name (vendor/name, lowercase).`,
    remedy: () =>
      'Use a name like `acme/hello-world`: lowercase letters, digits and `-`, `_` or `.` between them, one slash.',
    docs: 'configuration.md#packagist-packagename',
  } satisfies ErrorDefinition<{ name: string }>,
  REPOSITORY_URL_MISSING: {
    title: 'The public repository URL cannot be found',
    message: () => 'phpublish could not work out the public URL of this repository.',
    remedy: () =>
      'Set `packagist.repositoryUrl` (for example https://github.com/acme/hello), or run in GitHub Actions or GitLab CI, or add an `origin` remote.',
    docs: 'configuration.md#packagist-repositoryurl',
  } satisfies ErrorDefinition<void>,
  REPOSITORY_URL_INVALID: {
    title: 'The repository URL is not one Packagist accepts',
    message: (p: { url: string }) => `The repository URL ${p.url} is not a URL Packagist can match to a package.`,
    remedy: () =>
      'Use the public URL of the repository as shown on the package page, e.g. https://github.com/acme/hello or git@gitlab.com:acme/hello.git.',
    docs: 'configuration.md#packagist-repositoryurl',
  } satisfies ErrorDefinition<{ url: string }>,
  TAG_NOT_FOUND: {
    title: 'The release tag does not exist in this repository',
    message: (p: { tag: string }) => `There is no tag ${p.tag} (pointing at a commit) in this repository.`,
    remedy: () => 'Create and push the tag first (or fetch tags: `git fetch --tags`), then run again.',
    docs: 'cli.md#phpublish-notify',
  } satisfies ErrorDefinition<{ tag: string }>,
  REPORT_RELEASE_NOTES_FAILED: {
    title: 'The posture table could not be added to the release notes',
    message: (p: { url: string; reason: string }) =>
      `The posture table was not added to the GitHub release notes (${p.url}): ${p.reason}. The release itself is complete.`,
    remedy: () =>
      'Give the workflow `contents: write` and a GITHUB_TOKEN, or set `report.releaseNotes: false`; the table is also in the log and the job summary.',
    docs: 'configuration.md#report-releasenotes',
  } satisfies ErrorDefinition<{ url: string; reason: string }>,
  REPORT_SUMMARY_WRITE_FAILED: {
    title: 'The posture table could not be added to the job summary',
    message: (p: { file: string; problem: string }) =>
      `The posture table was not appended to the job summary ${p.file}: ${p.problem}. The release itself is complete.`,
    remedy: () =>
      'Check that $GITHUB_STEP_SUMMARY names a writable file on a disk with free space; the table is also in the log. Nothing needs to be released again.',
    docs: 'reliability.md#reports',
  } satisfies ErrorDefinition<{ file: string; problem: string }>,
});
