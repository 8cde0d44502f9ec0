import { runPhp } from '@phpublish/testing/php';
import { describe, expect, it } from 'vitest';
import { asPhpArrays, PACKAGIST_METADATA_DUMP, phpJsonEncode, SYMFONY_JSON_RESPONSE } from './php-json.js';

const SAMPLE = {
  message: 'A package with the name <a href="/packages/acme/hello">acme/hello</a> & \'quotes\'',
  unicode: 'é 🎉 \u2028 \u0001 \t\n\\',
  numbers: [0, -1, 1.5, 1e21, 1e18, 0.00001, 0.0001, -5e-8, 123456.789, 2 ** 64],
  flags: [true, false, null],
  nested: { list: ['a'], empty: [] },
};

describe('when encoding JSON like PHP', () => {
  it('matches json_encode with Symfony’s JsonResponse flags', async () => {
    const php = await runPhp(
      'echo json_encode(json_decode(stream_get_contents(STDIN), true), 15);',
      JSON.stringify(SAMPLE),
    );
    expect(phpJsonEncode(SAMPLE, SYMFONY_JSON_RESPONSE)).toBe(php);
  });

  it('matches json_encode with Packagist’s metadata flags', async () => {
    const php = await runPhp(
      'echo json_encode(json_decode(stream_get_contents(STDIN), true), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);',
      JSON.stringify(SAMPLE),
    );
    expect(phpJsonEncode(SAMPLE, PACKAGIST_METADATA_DUMP)).toBe(php);
  });

  it('turns objects into what PHP arrays become: {} → [], numbered keys → a list', () => {
    expect(asPhpArrays({ a: {}, b: { 0: 'x', 1: 'y' }, c: { 1: 'x' } })).toEqual({
      a: [],
      b: ['x', 'y'],
      c: { 1: 'x' },
    });
  });
});
