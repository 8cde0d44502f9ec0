import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@phpublish/testing/temp-dir';
import { describe, expect, it } from 'vitest';
import { enableCompileCache } from './compile-cache.js';

// Only the case that turns nothing on is run here: turning the cache on would change the test process itself.

describe('when no cache folder of the user is known', () => {
  it('turns nothing on and never puts a cache in the working directory (a relative XDG_CACHE_HOME is ignored)', async () => {
    const dir = await makeTempDir('phpublish-compile-cache-');
    const cwd = process.cwd();
    try {
      process.chdir(dir.path);
      expect(enableCompileCache({ XDG_CACHE_HOME: 'cache' }, 'linux')).toBeUndefined();
      expect(enableCompileCache({ HOME: 'relative/home' }, 'linux')).toBeUndefined();
      expect(enableCompileCache({}, 'linux')).toBeUndefined();
      expect(existsSync(join(dir.path, 'cache'))).toBe(false);
      expect(existsSync(join(dir.path, 'relative'))).toBe(false);
    } finally {
      process.chdir(cwd);
      await dir.cleanup();
    }
  });
});
