/**
 * A value from a file or the command line, for a message: as JSON (so control characters, escape
 * sequences and quotes are escaped, never sent to a terminal raw), shortened to `max` characters.
 */
export function quoteValue(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
