export { type GitOptions, git, remoteUrl } from './exec.js';
