import type { Logger } from '@phpublish/core/log';

/** What a command may touch, passed in (tests give their own). */
export interface CommandIo {
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Progress and notes go to stderr, so that stdout stays clean for `--json`. */
export function stderrLogger(io: CommandIo): Logger {
  return {
    info: (m) => io.stderr.write(`  ${m}\n`),
    warn: (m) => io.stderr.write(`! ${m}\n`),
    error: (m) => io.stderr.write(`✖ ${m}\n`),
    success: (m) => io.stderr.write(`✔ ${m}\n`),
  };
}

/** A plain-text table with aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
