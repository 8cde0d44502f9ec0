#!/usr/bin/env node
// A tiny entry: the Node.js version is checked before the program is imported, because on an older
// Node.js the program's dependencies (undici) fail while loading, with a stack trace instead of a message.
import { enableCompileCache, UNSUPPORTED_NODE_EXIT, unsupportedNodeError } from '@phpublish/core/node-version';

const unsupported = unsupportedNodeError(process.versions.node);
if (unsupported) {
  process.stderr.write(`phpublish: ${unsupported.format()}\n`);
  process.exitCode = UNSUPPORTED_NODE_EXIT;
} else {
  // Compiled code is kept in the user's cache folder: later runs start faster (see compile-cache.ts).
  enableCompileCache(process.env, process.platform);
  const { main } = await import('../main.js');
  process.exitCode = await main({
    argv: process.argv.slice(2),
    cwd: process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
  });
}
