// semantic-release calls these by name; each step lives in its own file.
export { fail } from './fail.js';
export { prepare } from './prepare.js';
export { publish } from './publish.js';
export { success } from './success.js';
export { verifyConditions } from './verify-conditions.js';
export { verifyRelease } from './verify-release.js';
