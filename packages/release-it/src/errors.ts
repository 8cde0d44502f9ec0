/**
 * release-it prints an error's message and exits non-zero: the message carries every problem with
 * its code, remedy and docs link (core's `format()`), never a stack trace. `codes` lets callers and
 * tests see which problems were found.
 */
export class ReleaseItPhpublishError extends Error {
  override name = 'ReleaseItPhpublishError';
  constructor(
    message: string,
    readonly codes: string[],
  ) {
    super(message);
  }
}

/**
 * Checked before each step loads core: release-it 20 runs on Node.js 20, where core's dependencies
 * (undici) fail while loading, with a stack trace instead of a message.
 */
export async function refuseUnsupportedNode(): Promise<void> {
  const { unsupportedNodeError } = await import('@phpublish/core/node-version');
  const unsupported = unsupportedNodeError(process.versions.node);
  if (unsupported) throw new ReleaseItPhpublishError(`phpublish: ${unsupported.format()}`, [unsupported.code]);
}

/** Core errors become one release-it error listing every problem; others pass through. */
export async function toReleaseItError(error: unknown): Promise<unknown> {
  // Loaded on demand, like the rest of core (see plugin.ts): importing the plugin stays cheap.
  const { isPhpublishError, PhpublishAggregateError } = await import('@phpublish/core');
  if (error instanceof PhpublishAggregateError) {
    return new ReleaseItPhpublishError(
      `phpublish found ${error.errors.length} problem(s):\n\n${error.format()}`,
      error.errors.map((e) => e.code),
    );
  }
  if (isPhpublishError(error)) return new ReleaseItPhpublishError(`phpublish: ${error.format()}`, [error.code]);
  return error;
}
