import type { z } from 'zod';

/**
 * Reading what a remote service answered: JSON, checked against a schema of every field phpublish
 * reads. Nothing from an answer is used before it has passed.
 */
export function parseJsonAnswer<S extends z.ZodType>(
  body: string,
  schema: S,
): { data: z.output<S> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { problem: 'the answer is not JSON' };
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? { data: parsed.data } : { problem: schemaProblems(parsed.error) };
}

/**
 * The first problems of a validation, each with its JSON path after `prefix`:
 * `assets[0].name: Invalid input: expected string, received number`.
 */
export function schemaProblems(error: z.ZodError, prefix = ''): string {
  const problems = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path
      .map((part, index) =>
        typeof part === 'number' ? `[${part}]` : `${index === 0 && !prefix ? '' : '.'}${String(part)}`,
      )
      .join('');
    const at = `${prefix}${path}`;
    return at ? `${at}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length - problems.length;
  return `${problems.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}
