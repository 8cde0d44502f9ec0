import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const coreDir = join(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(join(coreDir, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
};

/** The folders of src/ that are an area with a public entry (an index.ts). */
const areas = readdirSync(import.meta.dirname, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(import.meta.dirname, entry.name, 'index.ts')))
  .map((entry) => entry.name);

describe('when a consumer imports the root of @phpublish/core', () => {
  it('gets only what every consumer needs: the coded error, exit codes, version and clock', async () => {
    // Values only: types leave nothing at run time. A new name here is a decision (it belongs in an area's subpath).
    expect(Object.keys(await import('./index.js')).sort()).toEqual([
      'EXIT',
      'PHPUBLISH_VERSION',
      'PhpublishAggregateError',
      'PhpublishError',
      'docsUrl',
      'isPhpublishError',
      'systemClock',
      'userAgent',
      'virtualClock',
    ]);
  });
});

describe('when a consumer imports an area of @phpublish/core', () => {
  it('finds every area folder as a subpath export of its built index', () => {
    expect(areas.length).toBeGreaterThan(10);
    for (const area of areas) {
      expect(manifest.exports[`./${area}`], area).toEqual({
        types: `./dist/${area}/index.d.ts`,
        default: `./dist/${area}/index.js`,
      });
    }
  });

  it('exports no subpath whose source does not exist', () => {
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      const built = typeof target === 'string' ? target : target.default;
      if (!built.startsWith('./dist/')) continue;
      const source = built.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts');
      expect(existsSync(join(coreDir, source)), `${subpath} → ${source}`).toBe(true);
    }
  });

  it('resolves in tests to the same module as the area’s source (the vitest alias)', async () => {
    for (const area of areas) {
      expect(await import(`@phpublish/core/${area}`), area).toBe(await import(`./${area}/index.ts`));
    }
  });
});
