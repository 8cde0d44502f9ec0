import { isPhpublishError, PhpublishAggregateError, type PhpublishError } from '@phpublish/core';
import { SemanticReleaseError } from './semantic-release-error.js';

export { SemanticReleaseError };

/**
 * semantic-release prints the message and then the details: the details hold what the message does
 * not (the remedy and the link), as in @semantic-release/github and /npm.
 */
function convert(error: PhpublishError): SemanticReleaseError {
  return new SemanticReleaseError(error.message, error.code, error.details);
}

/** Core errors become semantic-release errors (several as an AggregateError); others pass through. */
export function toSemanticReleaseError(error: unknown): unknown {
  if (error instanceof PhpublishAggregateError) return new AggregateError(error.errors.map(convert), error.message);
  if (isPhpublishError(error)) return convert(error);
  return error;
}

/** Runs a hook, translating the errors it throws. */
export async function translatingErrors<T>(hook: () => Promise<T>): Promise<T> {
  try {
    return await hook();
  } catch (error) {
    throw toSemanticReleaseError(error);
  }
}
