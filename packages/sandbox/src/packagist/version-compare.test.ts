import { runPhp } from '@phpublish/testing/php';
import { describe, expect, it } from 'vitest';
import { phpVersionCompare } from './version-compare.js';

const VERSIONS = [
  '1.0.0.0',
  '1.0.0.0-dev',
  '1.0.0.0-alpha1',
  '1.0.0.0-alpha2',
  '1.0.0.0-beta1',
  '1.0.0.0-RC1',
  '1.0.0.0-RC2',
  '1.0.0.0-patch1',
  '1.0.1.0',
  '1.10.0.0',
  '1.9.0.0',
  '2.0.0.0',
  '10.0.0.0',
  '1.9999999.9999999.9999999-dev',
  '0.0.0-alpha',
  '20240101',
  '2024.01.01',
  '1.0',
  '1',
  '1.0.0.0-pl1',
  '1.0.0.0-foo',
  '1.0.0.0-b',
  '',
];

describe('when ordering versions like PHP’s version_compare', () => {
  it('answers as PHP does for every pair', async () => {
    const pairs = VERSIONS.flatMap((a) => VERSIONS.map((b) => [a, b] as const));
    const php = await runPhp(
      '$pairs = json_decode(stream_get_contents(STDIN), true); echo json_encode(array_map(fn ($p) => version_compare($p[0], $p[1]), $pairs));',
      JSON.stringify(pairs),
    );
    expect(pairs.map(([a, b]) => phpVersionCompare(a, b))).toEqual(JSON.parse(php));
  });

  it('puts pre-releases before their release and patches after', () => {
    const sorted = ['1.0.0.0', '1.0.0.0-RC1', '1.0.0.0-patch1', '1.0.0.0-beta1', '1.0.0.0-alpha1'].sort(
      phpVersionCompare,
    );
    expect(sorted).toEqual(['1.0.0.0-alpha1', '1.0.0.0-beta1', '1.0.0.0-RC1', '1.0.0.0', '1.0.0.0-patch1']);
  });
});
