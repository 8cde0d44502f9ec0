// @phpublish/changesets: the publish step of a changesets repository, on core's release session.
// `phpublish-changesets publish` (bin/) runs `main`; hosts such as `phpublish rehearse --host changesets`
// call `publishChangesetsRelease` directly.
export { type CommandIo, EXIT, main, USAGE } from './command.js';
export {
  type PhpRelease,
  phpReleasesOf,
  type ReleaseRepository,
  type RepositoryMapping,
  thisRepository,
} from './php-releases.js';
export {
  CHANGESETS_OUTPUT_VARIABLE,
  type ChangesetsOutput,
  type ChangesetsPublishResult,
  type ChangesetsRelease,
  type PublishChangesetsInput,
  publishChangesetsRelease,
} from './publish.js';
export { packageNameOfTag, parseChangesetsOutput, type ReleasedTag } from './released-tags.js';
export { readWorkspace, type Workspace, type WorkspacePackage } from './workspace.js';
