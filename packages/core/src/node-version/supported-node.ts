import { PhpublishError } from '../errors/phpublish-error.js';
import { EXIT } from '../exit-codes.js';

/**
 * The lowest supported version of each supported Node.js major, as [major, minor, patch]: the
 * `engines.node` range of every package.json (`^22.22.2 || ^24.15.0 || >=26.0.0`, tested against it).
 * The floors come from the dependencies: sigstore 5 needs 22.22.2 on 22, and undici fails to load
 * on older Node.js. The last major is open-ended: it and every later major are supported.
 */
export const SUPPORTED_NODE_FLOORS: readonly (readonly [number, number, number])[] = [
  [22, 22, 2],
  [24, 15, 0],
  [26, 0, 0],
];

/** Programs that refuse an unsupported Node.js exit with this code (the environment, like the command line, is wrong). */
export const UNSUPPORTED_NODE_EXIT = EXIT.usage;

/** `22.22.2 or later 22.x, 24.15.0 or later 24.x, or 26.0.0 and later`. */
export function supportedNodeVersions(): string {
  const parts = SUPPORTED_NODE_FLOORS.map(([major, minor, patch], i) =>
    i === SUPPORTED_NODE_FLOORS.length - 1
      ? `${major}.${minor}.${patch} and later`
      : `${major}.${minor}.${patch} or later ${major}.x`,
  );
  return `${parts.slice(0, -1).join(', ')}, or ${parts.at(-1)}`;
}

/** Whether `version` (`process.versions.node`, with or without a leading `v`) is in the supported range. */
export function isSupportedNode(version: string): boolean {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const last = SUPPORTED_NODE_FLOORS.at(-1)!;
  if (major > last[0]) return true;
  const floor = SUPPORTED_NODE_FLOORS.find(([floorMajor]) => floorMajor === major);
  if (!floor) return false;
  return minor > floor[1] || (minor === floor[1] && patch >= floor[2]);
}

/**
 * NODE_VERSION_UNSUPPORTED when `version` cannot run phpublish, else undefined. Programs call it
 * first, before importing anything that an older Node.js cannot load (undici fails with a stack).
 */
export function unsupportedNodeError(version: string): PhpublishError | undefined {
  if (isSupportedNode(version)) return undefined;
  return new PhpublishError('NODE_VERSION_UNSUPPORTED', { version, supported: supportedNodeVersions() });
}
