import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhpublishError } from '../errors/index.js';
import { checkComposerJson, readComposerJson } from './composer-json.js';

let temp: TempDir;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-composer-json-');
});
afterAll(async () => {
  await temp.cleanup();
});

/** A project folder whose composer.json is `content` (a folder of that name when `content` is null). */
async function project(name: string, content: string | Buffer | null | undefined): Promise<string> {
  const dir = join(temp.path, name);
  await mkdir(dir);
  if (content === null) await mkdir(join(dir, 'composer.json'));
  else if (content !== undefined) await writeFile(join(dir, 'composer.json'), content);
  return dir;
}

async function refusal(cwd: string): Promise<PhpublishError> {
  try {
    await readComposerJson(cwd);
  } catch (error) {
    return error as PhpublishError;
  }
  throw new Error('composer.json was read');
}

describe('when composer.json cannot be read as a JSON object', () => {
  it('says it is missing with COMPOSER_JSON_MISSING', async () => {
    expect((await refusal(await project('none', undefined))).code).toBe('COMPOSER_JSON_MISSING');
  });

  it.each([
    ['a directory', null, 'it is a directory, not a regular file'],
    ['Latin-1 text', Buffer.from('{"name": "acme/h\xe9llo"}', 'latin1'), 'it is not UTF-8 text'],
    ['cut short', '{"name": "acme/hello",', 'it is not valid JSON'],
    ['a list', '["acme/hello"]', 'it is not a JSON object'],
    ['null', 'null', 'it is not a JSON object'],
  ])('refuses %s with COMPOSER_JSON_INVALID, saying why', async (name, content, problem) => {
    const error = await refusal(await project(name.replace(/\W+/g, '-'), content));
    expect(error.code).toBe('COMPOSER_JSON_INVALID');
    expect(error.message).toContain(problem);
  });

  it('reads one with a byte order mark', async () => {
    const cwd = await project('bom', '\ufeff{"name": "acme/hello"}');
    expect(await readComposerJson(cwd)).toEqual({ name: 'acme/hello' });
  });
});

describe('when composer.json would make the release go wrong on Packagist', () => {
  it('names a missing name, an invalid name and a version field, each with its code', () => {
    expect(checkComposerJson({}).map((p) => p.code)).toEqual(['COMPOSER_JSON_INVALID']);
    expect(checkComposerJson({ name: 'Acme/Hello' }).map((p) => p.code)).toEqual(['PACKAGE_NAME_INVALID']);
    const [version] = checkComposerJson({ name: 'acme/hello', version: '1.0.0' });
    expect(version?.message).toContain('"version": "1.0.0"');
    expect(checkComposerJson({ name: 'acme/hello' })).toEqual([]);
  });
});
