import { isPhpublishError, PhpublishAggregateError, type PhpublishError } from '@phpublish/core';

/**
 * semantic-release reports (and passes to `fail` plugins) only errors marked `semanticRelease`,
 * with a `code` and Markdown `details`: the shape of @semantic-release/error.
 */
export class SemanticReleaseError extends Error {
  override name = 'SemanticReleaseError';
  readonly semanticRelease = true;
  constructor(
    message: string,
    readonly code: string,
    readonly details: string,
  ) {
    super(message);
  }
}

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
