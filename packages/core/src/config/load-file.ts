import { isAbsolute, join } from 'node:path';
import { PhpublishError } from '../errors/index.js';
import { INPUT_LIMITS, InputFileProblem, readInputJson } from '../input/index.js';

export const CONFIG_FILE_NAME = 'phpublish.config.json';

/**
 * Options for the CLI: `--config <file>`, else phpublish.config.json in cwd when it exists, else none.
 * (Plugins get their options from their host's configuration instead.) Read strictly: an option
 * given twice (a second `"enabled": false` further down) is refused, not silently taken.
 */
export async function loadOptionsFile(cwd: string, path?: string): Promise<unknown> {
  const file = path === undefined ? join(cwd, CONFIG_FILE_NAME) : isAbsolute(path) ? path : join(cwd, path);
  let data: unknown;
  try {
    data = await readInputJson(file, { maxBytes: INPUT_LIMITS.small });
  } catch (error) {
    if (!(error instanceof InputFileProblem)) throw error;
    if (path === undefined && error.errno === 'ENOENT') return {};
    throw new PhpublishError('CONFIG_FILE_UNREADABLE', { file, problem: error.message }, { cause: error });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new PhpublishError('CONFIG_FILE_UNREADABLE', { file, problem: 'is not a JSON object' });
  }
  const { $schema: _schema, ...options } = data as Record<string, unknown>;
  return options;
}
