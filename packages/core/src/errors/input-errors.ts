import { defineErrors } from './definition.js';

/** Local input that cannot be used: command-line values, policy and lock files. */
export const inputErrors = defineErrors({});
