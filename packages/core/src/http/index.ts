export { formatByteSize, parseByteSize } from './byte-size.js';
export { parseJsonAnswer, schemaProblems } from './json-answer.js';
export {
  ANSWER_KIND_TITLES,
  ANSWER_KINDS,
  type AnswerKind,
  type AnswerLimits,
  AnswerMeter,
  abandonBody,
  answerLimit,
  DEFAULT_ANSWER_LIMITS,
  parseAnswerLimits,
  publicUrl,
} from './limits.js';
export {
  ANSWER_DEADLINE_TIMEOUTS,
  type AttemptAnswer,
  answerDeadline,
  DEFAULT_RETRY,
  type HttpDeps,
  HttpNetworkError,
  type HttpRequest,
  type HttpResponse,
  parseRetryAfter,
  type RetryPolicy,
  requestWithRetry,
  startAnswerDeadline,
  withRetry,
} from './request.js';
