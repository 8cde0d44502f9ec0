import type { Redactor } from './redactor.js';

/** What phpublish writes to. Hosts adapt their own logger to this (semantic-release's, release-it's, a console). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Step results worth a check mark. */
  success(message: string): void;
}

/** Wraps a logger so that no registered secret (nor any URL credential) can reach it. */
export function redactingLogger(inner: Logger, redactor: Redactor): Logger {
  return {
    info: (m) => inner.info(redactor.redact(m)),
    warn: (m) => inner.warn(redactor.redact(m)),
    error: (m) => inner.error(redactor.redact(m)),
    success: (m) => inner.success(redactor.redact(m)),
  };
}

/** A logger for terminals; hosts pass their own. */
export function consoleLogger(stream: { write(s: string): unknown } = process.stderr): Logger {
  return {
    info: (m) => stream.write(`${m}\n`),
    warn: (m) => stream.write(`warning: ${m}\n`),
    error: (m) => stream.write(`error: ${m}\n`),
    success: (m) => stream.write(`✔ ${m}\n`),
  };
}

/** Keeps every line, for tests and for reports that need the log afterwards. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    success: (m) => lines.push(`success: ${m}`),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, success() {} };
