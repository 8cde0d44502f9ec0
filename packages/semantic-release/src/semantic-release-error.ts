// Apart from errors.ts, which loads core: the plugin's entry throws it before core is loaded.

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
