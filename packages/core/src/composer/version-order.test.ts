import { describe, expect, it } from 'vitest';
import {
  compareNormalizedVersions,
  isStableVersion,
  normalizeTagVersion,
  releaseTagsNewestFirst,
} from './version-order.js';

// Expected values are Composer's own (composer/semver VersionParser::normalize and Comparator), checked
// against the composer/semver that ships with Debian's Composer.
describe('normalizeTagVersion', () => {
  it.each([
    ['1.0.0', '1.0.0.0'],
    ['v1.0.0', '1.0.0.0'],
    ['V2.0.0', '2.0.0.0'],
    ['1.2', '1.2.0.0'],
    ['v1', '1.0.0.0'],
    ['1.0.0.1', '1.0.0.1'],
    ['1.0.0-beta', '1.0.0.0-beta'],
    ['1.0.0-beta1', '1.0.0.0-beta1'],
    ['1.0.0-beta.2', '1.0.0.0-beta2'],
    ['1.0.0-beta0', '1.0.0.0-beta0'],
    ['1.0.0-b2', '1.0.0.0-beta2'],
    ['1.0.0-RC1', '1.0.0.0-RC1'],
    ['1.0.0rc2', '1.0.0.0-RC2'],
    ['1.0.0-alpha', '1.0.0.0-alpha'],
    ['1.0.0a1', '1.0.0.0-alpha1'],
    ['1.0.0-patch1', '1.0.0.0-patch1'],
    ['1.0.0-pl2', '1.0.0.0-patch2'],
    ['1.0.0p3', '1.0.0.0-patch3'],
    ['1.0.0-stable', '1.0.0.0'],
    ['1.0.0-beta.1.2', '1.0.0.0-beta1.2'],
    ['1.0.0-dev', '1.0.0.0-dev'],
    ['1.0.0-beta1-dev', '1.0.0.0-beta1-dev'],
    ['1.0.0+build.5', '1.0.0.0'],
    ['2024.01.31', '2024.01.31.0'],
    ['20240131', '20240131'],
    ['2024-01-31-beta', '2024.01.31-beta'],
  ])('reads %s as %s', (tag, normalized) => expect(normalizeTagVersion(tag)).toBe(normalized));

  it.each(['release-1.0', 'latest', 'v', '1.0.0.0.0', 'v1.0.0-rehearsal', 'dev-main', '1.x-dev', ''])(
    'skips %j, as VersionParser does',
    (tag) => expect(normalizeTagVersion(tag)).toBeUndefined(),
  );
});

describe('compareNormalizedVersions', () => {
  const compare = (a: string, b: string) =>
    compareNormalizedVersions(normalizeTagVersion(a) as string, normalizeTagVersion(b) as string);

  it.each([
    ['7.8.1', 'v3.8.2'],
    ['10.0.0', '9.99.99'],
    ['1.0.0.1', '1.0.0'],
    ['1.0.0', '1.0.0-RC1'],
    ['1.0.0-RC2', '1.0.0-RC1'],
    ['1.0.0-RC1', '1.0.0-beta2'],
    ['1.0.0-beta1', '1.0.0-beta'],
    ['1.0.0-beta0', '1.0.0-beta'],
    ['1.0.0-beta.1.2', '1.0.0-beta1'],
    ['1.0.0-beta', '1.0.0-alpha3'],
    ['1.0.0-alpha', '1.0.0-dev'],
    ['1.0.0-patch1', '1.0.0'],
    ['1.0.0-patch2', '1.0.0-patch1'],
    ['1.0.0.1', '1.0.0-patch1'],
    ['2024.02.01', '2024.01.31'],
  ])('orders %s above %s', (newer, older) => {
    expect(compare(newer, older)).toBe(1);
    expect(compare(older, newer)).toBe(-1);
  });

  it.each([
    ['v1.0', '1.0.0'],
    ['1.0.0-stable', '1.0.0'],
    ['1.0.0+build.5', 'v1.0.0'],
    ['1.0.0-pl1', '1.0.0-patch1'],
  ])('holds %s and %s for the same version', (a, b) => expect(compare(a, b)).toBe(0));
});

describe('releaseTagsNewestFirst', () => {
  it('orders mixed tag prefixes by version, not by name', () => {
    const tags = ['v3.8.1', 'v3.8.2', '7.8.0', '7.8.1', '6.5.8'];
    expect(releaseTagsNewestFirst(tags).map((t) => t.tag)).toEqual(['7.8.1', '7.8.0', '6.5.8', 'v3.8.2', 'v3.8.1']);
  });

  it('puts a release above its pre-releases and leaves out dev versions and names that are not versions', () => {
    const tags = ['2.0.0-dev', '2.0.0-RC1', 'nightly', '1.9.0', '2.0.0', 'release-3.0', '2.0.0-beta3', '2.1.x-dev'];
    expect(releaseTagsNewestFirst(tags)).toEqual([
      { tag: '2.0.0', normalized: '2.0.0.0' },
      { tag: '2.0.0-RC1', normalized: '2.0.0.0-RC1' },
      { tag: '2.0.0-beta3', normalized: '2.0.0.0-beta3' },
      { tag: '1.9.0', normalized: '1.9.0.0' },
    ]);
  });
});

describe('isStableVersion', () => {
  it.each([
    ['1.0.0.0', true],
    ['1.0.0.0-patch1', true],
    ['1.0.0.0-RC1', false],
    ['1.0.0.0-beta', false],
    ['1.0.0.0-alpha2', false],
  ])('%s: %s', (normalized, stable) => expect(isStableVersion(normalized)).toBe(stable));
});
