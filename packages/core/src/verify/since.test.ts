import { describe, expect, it } from 'vitest';
import { isOnOrAfter, parseSince, type Since } from './since.js';

const since = (text: string): Since => {
  const parsed = parseSince(text);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed;
};

describe('when --since names a version', () => {
  it('orders versions as Composer does: numbers as numbers, pre-releases before their release, patch after', () => {
    const ordered = [
      '1.0.0-alpha1',
      '1.0.0-beta2',
      '1.0.0-beta10',
      '1.0.0-RC1',
      'v1.0.0',
      '1.0.0-patch1',
      '1.0.1',
      '1.2',
      '1.10.0',
      '10.0.0',
    ];
    for (let i = 1; i < ordered.length; i++) {
      expect(isOnOrAfter(since(ordered[i]!), { version: ordered[i - 1]! })).toBe(false);
      expect(isOnOrAfter(since(ordered[i - 1]!), { version: ordered[i]! })).toBe(true);
    }
    expect(isOnOrAfter(since('v2.0'), { version: '2.0.0.0' })).toBe(true);
  });

  it('keeps the version itself and later ones, leaves out earlier ones', () => {
    expect(isOnOrAfter(since('1.3'), { version: 'v1.3.0' })).toBe(true);
    expect(isOnOrAfter(since('1.3'), { version: '1.3.0-RC1' })).toBe(false);
    expect(isOnOrAfter(since('v1.3.0-beta2'), { version: '1.3.0-RC1' })).toBe(true);
    expect(isOnOrAfter(since('1.3'), { version: '1.2.99' })).toBe(false);
  });

  it('checks a version whose name cannot be ordered rather than leave it out', () => {
    expect(isOnOrAfter(since('9.0'), { version: 'release-2019' })).toBe(true);
  });
});

describe('when --since names a date', () => {
  it('compares it with the metadata’s time, a day alone being its first second in UTC', () => {
    const day = since('2026-02-01');
    expect(isOnOrAfter(day, { version: '1.0.0', time: '2026-01-31T23:59:59+00:00' })).toBe(false);
    expect(isOnOrAfter(day, { version: '1.0.0', time: '2026-02-01T00:00:00+00:00' })).toBe(true);
    expect(isOnOrAfter(day, { version: '1.0.0', time: '2026-02-01T00:30:00+01:00' })).toBe(false);
    expect(isOnOrAfter(since('2026-02-01T12:00:00Z'), { version: '1.0.0', time: '2026-02-01 11:00:00' })).toBe(false);
  });

  it('checks a version without a readable time rather than leave it out', () => {
    expect(isOnOrAfter(since('2026-02-01'), { version: '1.0.0' })).toBe(true);
    expect(isOnOrAfter(since('2026-02-01'), { version: '1.0.0', time: 'yesterday' })).toBe(true);
  });
});

describe('when --since is neither', () => {
  it.each(['last tuesday', '2026-13-45', '', 'dev-main'])('refuses %j with a reason', (text) => {
    expect(parseSince(text)).toHaveProperty('problem');
  });
});
