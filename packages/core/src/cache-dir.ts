import { isAbsolute, join } from 'node:path';

/**
 * phpublish's folder in the user's cache directory, from the environment passed in:
 * $XDG_CACHE_HOME/phpublish, else %LOCALAPPDATA%\phpublish\cache on Windows, else
 * ~/.cache/phpublish. Undefined when none is known (then nothing is cached). Always the user's own
 * folder, never a shared temporary one: what is kept there is trusted when read back.
 */
export function defaultCacheDir(env: Record<string, string | undefined>, platform: string): string | undefined {
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg && isAbsolute(xdg)) return join(xdg, 'phpublish');
  if (platform === 'win32' && env['LOCALAPPDATA']) return join(env['LOCALAPPDATA'], 'phpublish', 'cache');
  const home = env['HOME'];
  return home && isAbsolute(home) ? join(home, '.cache', 'phpublish') : undefined;
}
