export { type GitOptions, git, remoteUrl } from './exec.js';
export { resolveCommit } from './refs.js';
