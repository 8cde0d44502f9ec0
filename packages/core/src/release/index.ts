export { buildAndAttest, type ReleaseArtifacts, versionOfTag } from './build-and-attest.js';
export {
  type CreateReleaseContextInput,
  createReleaseContext,
  packagistClientFor,
  type ReleaseContext,
} from './context.js';
export { type DiagnosisRow, type DiagnosisStatus, diagnose } from './doctor.js';
export {
  type GitSigningTools,
  gitSigningEnvironment,
  gpgProgramScript,
  type RestoreVariables,
  setVariables,
  TAG_MESSAGE_VARIABLE,
  writeGitSigningTools,
} from './git-signing-environment.js';
export { notifyPackagist, type PackagistOutcome, type PackagistRelease } from './notify-packagist.js';
export { type PackagistTarget, resolvePackagistTarget } from './packagist-target.js';
export {
  type PostureRow,
  type PostureStatus,
  postureMarkdown,
  postureRows,
  postureText,
  type ReleasePosture,
} from './posture.js';
export { createContextAndPreflight, type PreflightInput, preflight } from './preflight.js';
export { type PackagistPreflightInput, preflightPackagist } from './preflight-packagist.js';
export { type PublishedRelease, type PublishReleaseInput, publishRelease } from './publish-release.js';
export { appendPostureToGitHubRelease, withPostureSection } from './release-notes.js';
export { findUnfinishedRelease, type UnfinishedRelease } from './resume.js';
export {
  RELEASE_STEPS,
  type ReleaseRef,
  ReleaseSession,
  type ReleaseStep,
  type StartReleaseSessionInput,
} from './session.js';
