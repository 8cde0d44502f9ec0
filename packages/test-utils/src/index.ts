export { GitCommandError, type GitOptions, git, gitEnv, TEST_GIT_DATE, TEST_GIT_IDENTITY } from './git.js';
export {
  clearLeakScan,
  describeLeaks,
  findLeaks,
  type Leak,
  type LeakPlace,
  recordedPlaces,
  recordForLeakScan,
  registeredSecrets,
  registerSecret,
  secretForms,
  type TestSecret,
} from './leak-scan.js';
export { recordFilesForLeakScan, recordGitObjectsForLeakScan } from './leak-sources.js';
export {
  type BareRemote,
  createBareRemote,
  createPhpPackageRepo,
  defaultComposerJson,
  defaultHelloPhp,
  namespaceFor,
  type PhpPackageRepo,
  type PhpPackageRepoOptions,
  type RepoFiles,
  type TagOptions,
  type TagSpec,
} from './php-package-repo.js';
export { makeTempDir, type TempDir } from './temp-dir.js';
