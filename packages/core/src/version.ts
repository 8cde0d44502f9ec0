import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = require('../package.json') as { version: string };

/** The version of @phpublish/core, as published. */
export const PHPUBLISH_VERSION: string = pkg.version;

/** What phpublish says it is in every HTTP request (Packagist asks clients to identify themselves). */
export function userAgent(product = 'phpublish'): string {
  return `${product}/${PHPUBLISH_VERSION} (+https://github.com/phpublish/phpublish) node/${process.versions.node}`;
}
