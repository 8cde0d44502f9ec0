import { expandMinified } from '@phpublish/testing/packagist';
import { runPhp } from '@phpublish/testing/php';
import { describe, expect, it } from 'vitest';
import { PACKAGIST_METADATA_DUMP, phpJsonEncode } from '../php-json.js';
import { minifyVersions, type VersionArray } from './metadata-minifier.js';

const VERSIONS: VersionArray[] = [
  {
    name: 'acme/hello',
    version: 'v2.0.0',
    version_normalized: '2.0.0.0',
    license: ['MIT'],
    source: { url: 'https://github.com/acme/hello.git', type: 'git', reference: 'c'.repeat(40) },
    require: { php: '>=8.2' },
    time: '2026-03-01T00:00:00+00:00',
  },
  {
    name: 'acme/hello',
    version: 'v1.1.0',
    version_normalized: '1.1.0.0',
    license: ['MIT'],
    source: { url: 'https://github.com/acme/hello.git', type: 'git', reference: 'b'.repeat(40) },
    require: { php: '>=8.1', 'psr/log': '^3.0' },
    extra: { 'branch-alias': { 'dev-main': '1.x-dev' } },
    time: '2026-02-01T00:00:00+00:00',
  },
  {
    name: 'acme/hello',
    version: 'v1.0.0',
    version_normalized: '1.0.0.0',
    license: ['MIT'],
    source: { url: 'https://github.com/acme/hello.git', type: 'git', reference: 'a'.repeat(40) },
    time: '2026-01-01T00:00:00+00:00',
    extra: { 'branch-alias': { 'dev-main': '1.x-dev' } },
  },
  {
    name: 'acme/hello',
    version: 'v0.9.0',
    version_normalized: '0.9.0.0',
    license: ['MIT'],
    source: { url: 'https://github.com/acme/hello.git', type: 'git', reference: '9'.repeat(40) },
    // Same content as v1.1.0's require in another key order: PHP's !== counts that as a change.
    require: { 'psr/log': '^3.0', php: '>=8.1' },
    time: '2026-01-01T00:00:00+00:00',
  },
];

describe('when versions are minified for p2', () => {
  const minified = minifyVersions(VERSIONS);

  it('writes the first whole and only changes after it, objects replaced whole', () => {
    expect(minified[0]).toEqual(VERSIONS[0]);
    expect(minified[1]).toEqual({
      version: 'v1.1.0',
      version_normalized: '1.1.0.0',
      source: VERSIONS[1]!['source'],
      require: { php: '>=8.1', 'psr/log': '^3.0' },
      extra: { 'branch-alias': { 'dev-main': '1.x-dev' } },
      time: '2026-02-01T00:00:00+00:00',
    });
  });

  it('marks keys that disappear with __unset, and brings them back whole', () => {
    expect(minified[2]).toEqual({
      version: 'v1.0.0',
      version_normalized: '1.0.0.0',
      source: VERSIONS[2]!['source'],
      time: '2026-01-01T00:00:00+00:00',
      require: '__unset',
    });
    expect(minified[3]).toMatchObject({ require: { 'psr/log': '^3.0', php: '>=8.1' }, extra: '__unset' });
  });

  it('expands back to exactly the versions', () => {
    expect(expandMinified(minified)).toEqual(VERSIONS);
    expect(expandMinified(minified).map((version) => Object.keys(version).sort())).toEqual(
      VERSIONS.map((version) => Object.keys(version).sort()),
    );
  });

  it('writes the same bytes as composer/metadata-minifier in PHP', async () => {
    const script = `
      require '/usr/share/php/Composer/MetadataMinifier/MetadataMinifier.php';
      $versions = json_decode(stream_get_contents(STDIN), true);
      echo json_encode(Composer\\MetadataMinifier\\MetadataMinifier::minify($versions), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    `;
    const output = await runPhp(script, JSON.stringify(VERSIONS));
    expect(phpJsonEncode(minified, PACKAGIST_METADATA_DUMP)).toBe(output);
  });

  it('keeps an empty list empty and a single version whole', () => {
    expect(minifyVersions([])).toEqual([]);
    expect(minifyVersions([VERSIONS[0]!])).toEqual([VERSIONS[0]]);
  });
});
