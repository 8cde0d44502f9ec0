export { consoleLogger, type Logger, memoryLogger, redactingLogger, silentLogger } from './logger.js';
export { REDACTED, Redactor } from './redactor.js';
