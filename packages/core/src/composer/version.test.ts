import { describe, expect, it } from 'vitest';
import { isComposerVersion } from './version.js';

describe('isComposerVersion', () => {
  it.each([
    'v1.2.3',
    '1.2.3',
    '1.2',
    '1.2.3.4',
    'v2.0.0-beta.1',
    '2.0.0-RC1',
    '2.0.0-alpha',
    '1.0.0-p1',
    '1.0.0-dev',
    '1.0.0+build.5',
    'v1.0.0beta2',
  ])('accepts %s', (tag) => expect(isComposerVersion(tag)).toBe(true));

  it.each(['v1.0.0-rehearsal', 'release-1.0', 'latest', 'v', '1.2.3.4.5', 'v1.0.0 ', '1.0.0-rc.1.x'])(
    'refuses %j',
    (tag) => expect(isComposerVersion(tag)).toBe(false),
  );
});
