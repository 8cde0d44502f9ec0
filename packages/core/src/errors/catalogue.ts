import { archiveErrors } from './archive-errors.js';
import { attestErrors } from './attest-errors.js';
import { changesetsErrors } from './changesets-errors.js';
import { configErrors } from './config-errors.js';
import { environmentErrors } from './environment-errors.js';
import { inputErrors } from './input-errors.js';
import { oidcErrors } from './oidc-errors.js';
import { packagistErrors } from './packagist-errors.js';
import { privatePackagistErrors } from './private-packagist-errors.js';
import { remoteErrors } from './remote-errors.js';
import { signingErrors } from './signing-errors.js';
import { verifyErrors } from './verify-errors.js';

/** Every error phpublish can report, by code. Each area keeps its own file; this joins them. */
export const catalogue = {
  ...archiveErrors,
  ...attestErrors,
  ...changesetsErrors,
  ...configErrors,
  ...environmentErrors,
  ...inputErrors,
  ...oidcErrors,
  ...packagistErrors,
  ...privatePackagistErrors,
  ...remoteErrors,
  ...signingErrors,
  ...verifyErrors,
} as const;

export type ErrorCode = keyof typeof catalogue;

/** The details a code's message needs; `undefined` for codes that need none. */
export type ErrorParams<C extends ErrorCode> =
  Parameters<(typeof catalogue)[C]['message']> extends [] ? undefined : Parameters<(typeof catalogue)[C]['message']>[0];
