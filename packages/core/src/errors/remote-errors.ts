import { defineErrors } from './definition.js';

/** Answers from remote services (Packagist, GitHub, GitLab) that cannot be used: malformed, too large. */
export const remoteErrors = defineErrors({});
