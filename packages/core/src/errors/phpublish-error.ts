import { catalogue, type ErrorCode, type ErrorParams } from './catalogue.js';

/** Where the documentation lives; error messages link to an anchor below it. */
export const DOCS_ROOT = 'https://github.com/phpublish/phpublish/blob/main/docs/';

export function docsUrl(anchor: string): string {
  return DOCS_ROOT + anchor;
}

/**
 * The one error class phpublish throws on purpose. It carries a stable `code` from the catalogue,
 * a `remedy` and a `docsUrl`; `cause` keeps the underlying error for debugging (it is never printed
 * to users, who get `format()` instead of a stack trace).
 */
export class PhpublishError<C extends ErrorCode = ErrorCode> extends Error {
  override name = 'PhpublishError';
  readonly code: C;
  readonly remedy: string;
  readonly docsUrl: string;

  constructor(
    code: C,
    ...rest: ErrorParams<C> extends undefined
      ? [params?: undefined, options?: { cause?: unknown }]
      : [params: ErrorParams<C>, options?: { cause?: unknown }]
  ) {
    const [params, options] = rest;
    const definition = catalogue[code] as unknown as {
      message: (p: unknown) => string;
      remedy: (p: unknown) => string;
      docs: string;
    };
    super(definition.message(params), options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.remedy = definition.remedy(params);
    this.docsUrl = docsUrl(definition.docs);
  }

  /**
   * Markdown for hosts that print it after the message (semantic-release's `details`): what the
   * message does not say — the remedy and the link — so nothing is printed twice.
   */
  get details(): string {
    return `${this.remedy}\n\nSee [the documentation](${this.docsUrl}).`;
  }

  /** Plain text for terminals and CI logs: code, message, remedy, link. Never a stack trace. */
  format(): string {
    return `${this.code}: ${this.message}\n  remedy: ${this.remedy}\n  docs: ${this.docsUrl}`;
  }
}

export function isPhpublishError(error: unknown, code?: ErrorCode): error is PhpublishError {
  return error instanceof PhpublishError && (code === undefined || error.code === code);
}

/** Several problems found together (preflight and configuration report all of them at once). */
export class PhpublishAggregateError extends AggregateError {
  override name = 'PhpublishAggregateError';
  declare readonly errors: PhpublishError[];

  constructor(errors: PhpublishError[]) {
    super(
      errors,
      `${errors.length} problem${errors.length === 1 ? '' : 's'} found: ${errors.map((e) => e.code).join(', ')}`,
    );
  }

  format(): string {
    return this.errors.map((e) => e.format()).join('\n\n');
  }
}

/** Throws the problems, if any: one error as itself, several as an aggregate. */
export function throwProblems(problems: PhpublishError[]): void {
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new PhpublishAggregateError(problems);
}
