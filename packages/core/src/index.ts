// The root of @phpublish/core keeps what every consumer needs: the coded error, exit codes, the
// version and the clock. Everything else is imported from its area's subpath (`@phpublish/core/release`,
// `/verify`, `/archive`, `/attest`, `/pgp`, `/packagist`, `/private-packagist`, `/config`, `/errors`,
// `/git`, `/http`, `/log`, `/composer`, `/input`), so that an import says where a name lives.
export { type Clock, systemClock, virtualClock } from './clock.js';
export {
  docsUrl,
  type ErrorCode,
  type ErrorParams,
  isPhpublishError,
  PhpublishAggregateError,
  PhpublishError,
} from './errors/index.js';
export { EXIT } from './exit-codes.js';
export { PHPUBLISH_VERSION, userAgent } from './version.js';
