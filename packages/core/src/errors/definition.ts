/**
 * One entry of the error catalogue. `message` says what went wrong, `remedy` what to do about it;
 * both are functions of the details the thrower knows. `docs` is the anchor of the README or docs
 * section that explains the option or concept involved.
 */
export interface ErrorDefinition<P = void> {
  /** One short line for tables and docs. */
  title: string;
  message: (params: P) => string;
  remedy: (params: P) => string;
  /** Path of the documentation page and anchor, relative to the docs root, e.g. `packagist.md#credentials`. */
  docs: string;
}

export function defineErrors<const T extends Record<string, ErrorDefinition<never>>>(definitions: T): T {
  return definitions;
}
