import { defineErrors, type ErrorDefinition } from './definition.js';

export interface UnsupportedNode {
  /** The running version, e.g. `20.20.2`. */
  version: string;
  /** The supported versions, in words: `22.22.2 or later 22.x, 24.15.0 or later 24.x, or 26.0.0 and later`. */
  supported: string;
}

/** The machine phpublish runs on cannot run it. */
export const environmentErrors = defineErrors({
  NODE_VERSION_UNSUPPORTED: {
    title: 'This Node.js version cannot run phpublish',
    message: (p: UnsupportedNode) =>
      `phpublish runs on Node.js ${p.supported}; this is Node.js ${p.version}. Nothing was done.`,
    remedy: () =>
      'Run phpublish with a supported Node.js: install the current LTS (e.g. `nvm install 24`), or in GitHub Actions set `node-version: 24` in `actions/setup-node`.',
    docs: 'troubleshooting.md#nodejs-version-not-supported',
  } satisfies ErrorDefinition<UnsupportedNode>,
});
