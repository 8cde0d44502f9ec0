// One set of exit codes for every phpublish program: defined in core, shared with phpublish-changesets.
export { EXIT } from '@phpublish/core';
