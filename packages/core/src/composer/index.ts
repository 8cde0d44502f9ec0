export {
  type ComposerJson,
  checkComposerJson,
  isValidPackageName,
  PACKAGE_NAME_PATTERN,
  readComposerJson,
} from './composer-json.js';
export { isComposerVersion } from './version.js';
export {
  compareNormalizedVersions,
  isStableVersion,
  normalizeTagVersion,
  releaseTagsNewestFirst,
  type VersionTag,
} from './version-order.js';
