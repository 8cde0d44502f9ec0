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
