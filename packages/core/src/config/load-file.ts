import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { PhpublishError } from '../errors/index.js';

export const CONFIG_FILE_NAME = 'phpublish.config.json';

/**
 * Options for the CLI: `--config <file>`, else phpublish.config.json in cwd when it exists, else none.
 * (Plugins get their options from their host's configuration instead.)
 */
export async function loadOptionsFile(cwd: string, path?: string): Promise<unknown> {
  const file = path === undefined ? join(cwd, CONFIG_FILE_NAME) : isAbsolute(path) ? path : join(cwd, path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (path === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new PhpublishError('CONFIG_INVALID', { path: file, problem: 'the file cannot be read' }, { cause: error });
  }
  try {
    const data = JSON.parse(text) as Record<string, unknown>;
    const { $schema: _schema, ...options } = data;
    return options;
  } catch (error) {
    throw new PhpublishError('CONFIG_INVALID', { path: file, problem: 'the file is not valid JSON' }, { cause: error });
  }
}
