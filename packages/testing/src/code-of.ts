import { type ErrorCode, isPhpublishError } from '@phpublish/core';

/**
 * What a promise settles to, as tests assert it: `'resolved'`, or the code of the PhpublishError it
 * rejects with. Any other error is a defect and is rethrown. Only for phpublish's own tests.
 */
export async function codeOf(promise: Promise<unknown>): Promise<ErrorCode | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (isPhpublishError(error)) return error.code;
    throw error;
  }
}
