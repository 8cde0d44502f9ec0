import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import {
  isSupportedNode,
  SUPPORTED_NODE_FLOORS,
  UNSUPPORTED_NODE_EXIT,
  unsupportedNodeError,
} from './supported-node.js';

const packagesDir = join(import.meta.dirname, '..', '..', '..');

/** The `engines.node` range of every package of the repository. */
function engineRanges(): { name: string; range: string }[] {
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => JSON.parse(readFileSync(join(packagesDir, entry.name, 'package.json'), 'utf8')))
    .map((pkg: { name: string; engines?: { node?: string } }) => ({ name: pkg.name, range: pkg.engines?.node ?? '' }));
}

/** Versions on both sides of every floor, and older and newer majors. */
function sampleVersions(): string[] {
  const versions = ['18.20.4', '20.0.0', '20.20.2', '21.7.3', '23.11.0', '25.2.1', '26.1.0', '27.0.0', '30.4.5'];
  for (const [major, minor, patch] of SUPPORTED_NODE_FLOORS) {
    versions.push(`${major}.0.0`, `${major}.${minor}.${patch}`, `${major}.${minor + 1}.0`, `${major}.99.99`);
    if (patch > 0) versions.push(`${major}.${minor}.${patch - 1}`);
    if (minor > 0) versions.push(`${major}.${minor - 1}.99`);
  }
  return versions;
}

describe('the supported Node.js versions', () => {
  it('are the engines range of every package.json', () => {
    const ranges = engineRanges();
    expect(ranges.length).toBeGreaterThan(3);
    for (const { name, range } of ranges) {
      for (const version of sampleVersions()) {
        expect({ name, version, supported: isSupportedNode(version) }).toEqual({
          name,
          version,
          supported: semver.satisfies(version, range),
        });
      }
    }
  });

  it('take the leading v of `node --version` and refuse what is not a version', () => {
    expect(isSupportedNode('v24.15.0')).toBe(true);
    expect(isSupportedNode('v20.20.2')).toBe(false);
    expect(isSupportedNode('')).toBe(false);
    expect(isSupportedNode('banana')).toBe(false);
  });
});

describe('unsupportedNodeError', () => {
  describe('when the version is supported', () => {
    it('is undefined', () => {
      expect(unsupportedNodeError('22.22.2')).toBeUndefined();
      expect(unsupportedNodeError('24.21.0')).toBeUndefined();
    });
  });

  describe('when the version is too old', () => {
    it('is NODE_VERSION_UNSUPPORTED, naming this version and the supported ones', () => {
      const error = unsupportedNodeError('20.20.2');
      expect(error?.code).toBe('NODE_VERSION_UNSUPPORTED');
      expect(error?.format()).toMatchInlineSnapshot(`
        "NODE_VERSION_UNSUPPORTED: phpublish runs on Node.js 22.22.2 or later 22.x, 24.15.0 or later 24.x, or 26.0.0 and later; this is Node.js 20.20.2. Nothing was done.
          remedy: Run phpublish with a supported Node.js: install the current LTS (e.g. \`nvm install 24\`), or in GitHub Actions set \`node-version: 24\` in \`actions/setup-node\`.
          docs: https://github.com/phpublish/phpublish/blob/main/docs/troubleshooting.md#nodejs-version-not-supported"
      `);
    });

    it('exits with the usage/environment code, not the internal-defect one', () => {
      expect(UNSUPPORTED_NODE_EXIT).toBe(EXIT.usage);
    });
  });
});
