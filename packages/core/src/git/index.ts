export {
  type BatchHeader,
  type BatchObject,
  CatFileBatch,
  type CatFileBatchOptions,
  PACK_MEMORY_LIMITS,
} from './batch.js';
export { type GitContext, gitBinary, gitContextOf } from './context.js';
export { type GitOptions, git, remoteUrl } from './exec.js';
export { resolveCommit } from './refs.js';
export { type GitRunOptions, type GitRunResult, runGit } from './run.js';
export {
  type CreateSignedTagInput,
  createSignedTag,
  type PushTagInput,
  pushTag,
  readTagObject,
  type SignedTag,
  type TagGitOptions,
  type VerifiedTag,
  type VerifyTagInput,
  verifyTag,
  verifyTagObject,
  withoutSigningSecrets,
} from './signed-tag.js';
export { buildTagPayload, parseTagObject, type TagObject, type TagPayloadInput } from './tag-object.js';
