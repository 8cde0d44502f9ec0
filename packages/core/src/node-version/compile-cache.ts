import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { defaultCacheDir } from '../cache-dir.js';

/**
 * Turns on Node.js's compile cache (`module.enableCompileCache`, public since Node.js 22.1) for a
 * program's own process, in phpublish's folder of the user's cache directory. A run then loads
 * the compiled code of its modules (undici, zod, openpgp.js, core…) instead of compiling them again:
 * most of a short command's start-up. Node.js checks each entry against the module's source and
 * recompiles what changed. The user's own folder, not Node.js's default in the shared temporary
 * directory, where another user of the machine could leave entries first. Does nothing when no cache
 * folder is known or NODE_DISABLE_COMPILE_CACHE is set (Node.js honours it); never fails a program.
 * Call it from a program's entry, after the Node.js version check and before importing the program.
 */
export function enableCompileCache(env: Record<string, string | undefined>, platform: string): string | undefined {
  const cacheDir = defaultCacheDir(env, platform);
  if (!cacheDir || typeof nodeModule.enableCompileCache !== 'function') return undefined;
  try {
    const result = nodeModule.enableCompileCache(join(cacheDir, 'node-compile-cache'));
    return result.directory;
  } catch {
    // A cache folder that cannot be created only costs speed.
    return undefined;
  }
}
