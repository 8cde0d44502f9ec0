export { catalogue, type ErrorCode, type ErrorParams } from './catalogue.js';
export type { ErrorDefinition } from './definition.js';
export { errorsPageMarkdown } from './docs.js';
export {
  DOCS_ROOT,
  docsUrl,
  isPhpublishError,
  PhpublishAggregateError,
  PhpublishError,
  throwProblems,
} from './phpublish-error.js';
