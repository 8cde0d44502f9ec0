export {
  type AttemptAnswer,
  DEFAULT_RETRY,
  type HttpDeps,
  HttpNetworkError,
  type HttpRequest,
  type HttpResponse,
  parseRetryAfter,
  type RetryPolicy,
  requestWithRetry,
  withRetry,
} from './request.js';
