import { catalogue, type ErrorCode } from './catalogue.js';

/** The Markdown of docs/errors.md: every code, what it means, and where to read more. */
export function errorsPageMarkdown(): string {
  const codes = Object.keys(catalogue).sort() as ErrorCode[];
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from packages/core/src/errors by `pnpm docs`; do not edit by hand. -->',
    '',
    'Every error phpublish reports on purpose has a stable code, a message, a remedy and a link to the',
    'section below that explains the option or situation. Codes never change meaning; new ones are added.',
    '',
    '| code | meaning | read more |',
    '| --- | --- | --- |',
  ];
  for (const code of codes) {
    const entry = catalogue[code];
    lines.push(`| \`${code}\` | ${entry.title} | [${entry.docs}](${entry.docs}) |`);
  }
  return `${lines.join('\n')}\n`;
}
