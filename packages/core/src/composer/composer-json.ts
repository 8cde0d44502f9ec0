import { join } from 'node:path';
import { PhpublishError } from '../errors/index.js';
import { INPUT_LIMITS, InputFileProblem, readInputText } from '../input/index.js';

/** Composer's own rule for package names (ValidatingArrayLoader / the schema's `name` pattern). */
export const PACKAGE_NAME_PATTERN = /^[a-z0-9]([_.-]?[a-z0-9]+)*\/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*$/;

export interface ComposerJson {
  name?: string;
  version?: string;
  [key: string]: unknown;
}

export function isValidPackageName(name: string): boolean {
  return PACKAGE_NAME_PATTERN.test(name);
}

/** Reads composer.json from `cwd`. Missing or unparsable files are coded errors. */
export async function readComposerJson(cwd: string): Promise<ComposerJson> {
  const path = join(cwd, 'composer.json');
  let text: string;
  try {
    text = await readInputText(path, { maxBytes: INPUT_LIMITS.small });
  } catch (error) {
    if (!(error instanceof InputFileProblem)) throw error;
    if (error.errno === 'ENOENT') throw new PhpublishError('COMPOSER_JSON_MISSING', { path }, { cause: error });
    throw new PhpublishError('COMPOSER_JSON_INVALID', { path, problem: `it ${error.message}` }, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PhpublishError('COMPOSER_JSON_INVALID', { path, problem: 'it is not valid JSON' }, { cause: error });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new PhpublishError('COMPOSER_JSON_INVALID', { path, problem: 'it is not a JSON object' });
  }
  return data as ComposerJson;
}

/** Problems with composer.json that would make a release go wrong on Packagist. */
export function checkComposerJson(composer: ComposerJson, path = 'composer.json'): PhpublishError[] {
  const problems: PhpublishError[] = [];
  if (typeof composer.name !== 'string') {
    problems.push(new PhpublishError('COMPOSER_JSON_INVALID', { path, problem: 'it has no "name"' }));
  } else if (!isValidPackageName(composer.name)) {
    problems.push(new PhpublishError('PACKAGE_NAME_INVALID', { name: composer.name }));
  }
  if (composer.version !== undefined) {
    // Packagist takes a `version` field over the tag name, so every release would publish that one version.
    problems.push(
      new PhpublishError('COMPOSER_JSON_INVALID', {
        path,
        problem: `it sets "version": ${JSON.stringify(composer.version)}, which makes Packagist ignore the tag names; remove it`,
      }),
    );
  }
  return problems;
}
