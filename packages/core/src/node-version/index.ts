// `@phpublish/core/node-version`: what a program checks before anything else. This entry imports
// only the error catalogue, never undici, sigstore or openpgp, so that it loads on any Node.js.

export { enableCompileCache } from './compile-cache.js';
export {
  isSupportedNode,
  SUPPORTED_NODE_FLOORS,
  supportedNodeVersions,
  UNSUPPORTED_NODE_EXIT,
  unsupportedNodeError,
} from './supported-node.js';
