import { describe, expect, it } from 'vitest';
import { expandMinifiedVersions, versionsFromP2 } from './minified.js';

// Shaped like real p2 output: newest first, later entries only carry what changed, `__unset` removes.
const minified = {
  minified: 'composer/2.0',
  packages: {
    'acme/hello': [
      {
        name: 'acme/hello',
        description: 'Says hello',
        version: 'v2.0.0',
        version_normalized: '2.0.0.0',
        license: ['MIT'],
        source: { type: 'git', url: 'https://github.com/acme/hello.git', reference: 'c'.repeat(40) },
        dist: { type: 'zip', url: 'https://example.test/c.zip', reference: 'c'.repeat(40), shasum: '' },
        require: { php: '>=8.1' },
        funding: [{ type: 'github', url: 'https://github.com/acme' }],
      },
      {
        version: 'v1.1.0',
        version_normalized: '1.1.0.0',
        source: { type: 'git', url: 'https://github.com/acme/hello.git', reference: 'b'.repeat(40) },
        dist: { type: 'zip', url: 'https://example.test/b.zip', reference: 'b'.repeat(40), shasum: '' },
        funding: '__unset',
      },
      {
        version: 'v1.0.0',
        version_normalized: '1.0.0.0',
        source: { type: 'git', url: 'https://github.com/acme/hello.git', reference: 'a'.repeat(40) },
        dist: { type: 'zip', url: 'https://example.test/a.zip', reference: 'a'.repeat(40), shasum: '' },
        require: { php: '>=7.4' },
      },
    ],
  },
  'security-advisories': [],
};

describe('expandMinifiedVersions', () => {
  it('carries unchanged keys forward, replaces changed ones whole and honours __unset', () => {
    const [v2, v11, v10] = versionsFromP2(minified, 'acme/hello');
    expect(v2?.['funding']).toEqual([{ type: 'github', url: 'https://github.com/acme' }]);
    expect(v11).toMatchObject({
      name: 'acme/hello',
      description: 'Says hello',
      version: 'v1.1.0',
      require: { php: '>=8.1' },
    });
    expect(v11).not.toHaveProperty('funding');
    // `funding` stays unset in later entries: the diff is against the previous *expanded* entry.
    expect(v10).not.toHaveProperty('funding');
    expect(v10?.['require']).toEqual({ php: '>=7.4' });
    expect(v10?.source?.reference).toBe('a'.repeat(40));
  });

  it('does not share objects between expanded entries', () => {
    const out = expandMinifiedVersions([{ a: 1 }, { b: 2 }]);
    expect(out).toEqual([{ a: 1 }, { a: 1, b: 2 }]);
    expect(out[0]).not.toBe(out[1]);
  });
});

describe('versionsFromP2', () => {
  it('reads non-minified documents as they are and looks names up in lowercase', () => {
    const doc = { packages: { 'acme/hello': [{ version: '1.0.0' }, { version: '0.9.0' }] } };
    expect(versionsFromP2(doc, 'Acme/Hello').map((v) => v.version)).toEqual(['1.0.0', '0.9.0']);
  });

  it('returns no versions for another package, and refuses documents that are not p2 metadata', () => {
    expect(versionsFromP2(minified, 'acme/other')).toEqual([]);
    expect(() => versionsFromP2([], 'acme/hello')).toThrow(/packages/);
    expect(() => versionsFromP2({ packages: { 'acme/hello': 'x' } }, 'acme/hello')).toThrow(/not a list/);
  });
});

describe('versionsFromP2, when the document has fields of the wrong type', () => {
  const entry = (change: Record<string, unknown>) => ({
    version: 'v1.0.0',
    source: { type: 'git', url: 'https://github.com/acme/hello.git', reference: 'a'.repeat(40) },
    ...change,
  });
  const doc = (...entries: unknown[]) => ({ packages: { 'acme/hello': entries } });

  it.each([
    [
      { source: { reference: 12345 } },
      /version "v1\.0\.0" \(packages\["acme\/hello"\]\[0\]\) is malformed: source\.reference/,
    ],
    [{ source: { reference: {} } }, /source\.reference/],
    [{ source: 'git' }, /source/],
    [{ dist: { url: 5 } }, /dist\.url/],
    [{ version: 1 }, /a version \(packages\["acme\/hello"\]\[0\]\) is malformed: version/],
    [{ version: '' }, /version: must not be empty/],
    [{ version_normalized: [] }, /version_normalized/],
  ])('refuses %j, saying where', (change, message) => {
    expect(() => versionsFromP2(doc(entry(change)), 'acme/hello')).toThrow(message);
  });

  it('refuses a wrong type in any entry, not only the one asked for', () => {
    expect(() =>
      versionsFromP2(doc(entry({}), entry({ version: 'v0.9.0', dist: { reference: 9 } })), 'acme/hello'),
    ).toThrow(/\[1\]\) is malformed: dist\.reference/);
  });

  it('refuses a minified entry that makes an expanded version wrong', () => {
    const minifiedDoc = { minified: 'composer/2.0', packages: { 'acme/hello': [entry({}), { version: '__unset' }] } };
    expect(() => versionsFromP2(minifiedDoc, 'acme/hello')).toThrow(/\[1\]\) is malformed: version/);
  });

  it('reads null as absent, as Composer repositories write it', () => {
    const [version] = versionsFromP2(doc(entry({ dist: null, version_normalized: null })), 'acme/hello');
    expect(version?.dist).toBeUndefined();
    expect(version?.version_normalized).toBeUndefined();
    expect(version?.source?.reference).toBe('a'.repeat(40));
  });

  it('keeps a "__proto__" key a key: it changes no prototype and no later entry', () => {
    const polluted = JSON.parse(
      `{"minified":"composer/2.0","packages":{"acme/hello":[{"version":"v2.0.0","__proto__":{"source":{"reference":"HEAD"}}},{"version":"v1.0.0"}]}}`,
    );
    const versions = versionsFromP2(polluted, 'acme/hello');
    expect(versions.map((v) => v.source)).toEqual([undefined, undefined]);
    expect(versions.every((v) => Object.getPrototypeOf(v) === Object.prototype)).toBe(true);
  });

  it.each([
    [[], /"packages" object/],
    [{ packages: [] }, /packages: /],
    [{ packages: { 'acme/hello': { 'v1.0.0': {} } } }, /not a list of versions/],
    [{ packages: { 'acme/hello': ['v1.0.0'] } }, /packages\["acme\/hello"\]\[0\]: must be an object/],
  ])('refuses %j as not p2 metadata', (document, message) => {
    expect(() => versionsFromP2(document, 'acme/hello')).toThrow(message);
  });
});
