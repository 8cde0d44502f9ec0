export {
  DEFAULT_RETRY,
  type HttpDeps,
  HttpNetworkError,
  type HttpRequest,
  type HttpResponse,
  parseRetryAfter,
  type RetryPolicy,
  requestWithRetry,
} from './request.js';
