import { describe, expect, it } from 'vitest';
import { normalizeBranch, normalizeVersion, tryNormalizeVersion } from './version-parser.js';

// Expected values are what composer/semver's VersionParser answers (checked with PHP).
const VERSIONS: Array<[string, string | undefined]> = [
  ['v1.2.3', '1.2.3.0'],
  ['1.2.3', '1.2.3.0'],
  ['1.2', '1.2.0.0'],
  ['1', '1.0.0.0'],
  ['v1', '1.0.0.0'],
  ['1.2.3.4', '1.2.3.4'],
  ['1.0.0-beta.1', '1.0.0.0-beta1'],
  ['1.0.0-beta1', '1.0.0.0-beta1'],
  ['1.0.0-RC1', '1.0.0.0-RC1'],
  ['1.0.0-rc.2', '1.0.0.0-RC2'],
  ['1.0.0-alpha', '1.0.0.0-alpha'],
  ['1.0.0a1', '1.0.0.0-alpha1'],
  ['1.0.0b2', '1.0.0.0-beta2'],
  ['1.0.0-pl3', '1.0.0.0-patch3'],
  ['1.0.0-patch.4', '1.0.0.0-patch4'],
  ['1.0.0-p1', '1.0.0.0-patch1'],
  ['1.0.0-stable', '1.0.0.0'],
  ['1.0.0-dev', '1.0.0.0-dev'],
  ['1.0.0-beta.1-dev', '1.0.0.0-beta1-dev'],
  ['v2.0.0+build.5', '2.0.0.0'],
  ['1.0.0+20130313144700', '1.0.0.0'],
  ['20240101', '20240101'],
  ['2024.01.01', '2024.01.01.0'],
  ['2024-01-01', '2024.01.01'],
  ['v20240101.1', '20240101.1'],
  ['release-1.0.0', undefined],
  ['master', 'dev-master'],
  ['dev-main', 'dev-main'],
  ['dev-feature/x', 'dev-feature/x'],
  ['1.x-dev', '1.9999999.9999999.9999999-dev'],
  ['1.2.x-dev', '1.2.9999999.9999999-dev'],
  ['foo', undefined],
  ['1.2.3.4.5', undefined],
  ['v1.0.0-BETA2', '1.0.0.0-beta2'],
  ['1.0.0.RC.3', '1.0.0.0-RC3'],
  ['1.0-beta', '1.0.0.0-beta'],
  ['1.0.0-beta-1', '1.0.0.0-beta1'],
  ['  1.0.0  ', '1.0.0.0'],
  ['1.0.0@beta', '1.0.0.0'],
  ['1.0.0 as 2.0.0', '1.0.0.0'],
  ['01.02.03', '01.02.03.0'],
  ['123456', '123456'],
  ['12345', '12345.0.0.0'],
  ['1.0.0-alpha.beta', undefined],
  ['v1.0.0.0', '1.0.0.0'],
  ['1.0.0-dev.1', undefined],
  ['1.0.0.0.0', undefined],
];

describe('when normalising versions like Composer', () => {
  it.each(VERSIONS)('normalises %j to %j', (version, expected) => {
    expect(tryNormalizeVersion(version)).toBe(expected);
  });

  it('throws Composer’s message for an invalid version', () => {
    expect(() => normalizeVersion('foo')).toThrow('Invalid version string "foo"');
  });

  it.each([
    ['main', 'dev-main'],
    ['1.x', '1.9999999.9999999.9999999-dev'],
    ['1.2.x', '1.2.9999999.9999999-dev'],
    ['v2', '2.9999999.9999999.9999999-dev'],
    ['2.0', '2.0.9999999.9999999-dev'],
    ['1.*', '1.9999999.9999999.9999999-dev'],
    ['feature/foo', 'dev-feature/foo'],
    ['1.X.x', '1.9999999.9999999.9999999-dev'],
    ['v1.2.3.4', '1.2.3.4-dev'],
  ])('normalises the branch %s to %s', (branch, expected) => {
    expect(normalizeBranch(branch)).toBe(expected);
  });
});
