import { z } from 'zod';
import { configSchema, environmentVariables } from './schema.js';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  format?: string;
};

/** The JSON schema of phpublish's options (what users write, so defaults are optional). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://github.com/phpublish/phpublish/blob/main/docs/config.schema.json',
    title: 'phpublish options',
  };
}

export interface OptionRow {
  path: string;
  anchor: string;
  type: string;
  default: string;
  description: string;
}

/** One row per leaf option, in schema order; the docs table and the per-option sections come from this. */
export function optionRows(): OptionRow[] {
  const rows: OptionRow[] = [];
  const walk = (schema: JsonSchema, prefix: string) => {
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (child.properties) {
        walk(child, path);
        continue;
      }
      rows.push({
        path,
        anchor: path.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
        type: child.enum ? child.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ') : describeType(child),
        default: child.default === undefined ? '—' : `\`${JSON.stringify(child.default)}\``,
        description: child.description ?? '',
      });
    }
  };
  walk(configJsonSchema() as JsonSchema, '');
  return rows;
}

function describeType(schema: JsonSchema): string {
  if (schema.format === 'uri') return 'URL';
  return Array.isArray(schema.type) ? schema.type.join(' \\| ') : (schema.type ?? 'any');
}

/** The Markdown options table (docs/configuration.md embeds it between markers). */
export function optionsTableMarkdown(): string {
  const lines = ['| option | type | default | description |', '| --- | --- | --- | --- |'];
  for (const row of optionRows()) {
    lines.push(
      `| [\`${row.path}\`](#${row.anchor}) | ${row.type} | ${row.default} | ${row.description.replace(/\|/g, '\\|')} |`,
    );
  }
  return lines.join('\n');
}

export function environmentTableMarkdown(): string {
  const lines = ['| variable | secret | description |', '| --- | --- | --- |'];
  for (const v of environmentVariables) lines.push(`| \`${v.name}\` | ${v.secret ? 'yes' : 'no'} | ${v.description} |`);
  return lines.join('\n');
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in a Markdown page. */
export function replaceGeneratedSection(page: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = page.indexOf(start);
  const to = page.indexOf(end);
  if (from === -1 || to === -1 || to < from) throw new Error(`markers for "${name}" are missing`);
  return `${page.slice(0, from + start.length)}\n${content}\n${page.slice(to)}`;
}

/** One anchored section per option (for READMEs that document every option in place). */
export function optionSectionsMarkdown(headingLevel = 4, prefix = ''): string {
  const hashes = '#'.repeat(headingLevel);
  return optionRows()
    .filter((row) => row.path.startsWith(prefix))
    .map(
      (row) =>
        `${hashes} <a id="${row.anchor}"></a>\`${row.path}\`\n\n${row.description}\n\nType: ${row.type}. Default: ${row.default}. More: [configuration](https://github.com/phpublish/phpublish/blob/main/docs/configuration.md#${row.anchor}).`,
    )
    .join('\n\n');
}
