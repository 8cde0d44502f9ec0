import { describe, expect, it } from 'vitest';
import { jsonPath, MAX_DEPTH, parseStrictJson, StrictJsonProblem } from './strict-json.js';

function problemOf(text: string): string {
  try {
    parseStrictJson(text);
  } catch (error) {
    if (error instanceof StrictJsonProblem) return error.message;
    throw error;
  }
  throw new Error(`accepted: ${text}`);
}

describe('parseStrictJson', () => {
  describe('when the text is plain JSON', () => {
    it.each([
      '{}',
      '[]',
      '0',
      '-0.5e+10',
      '"a\\u00e9\\n\\"\\/"',
      'true',
      'null',
      ' { "a" : [ 1 , { "b" : null } , "x" ] , "c" : false } \n',
      '{"":1,"a":{"":2}}',
      '"\\ud800"',
      JSON.stringify({ packages: [{ name: 'acme/hello', n: 1.5, deep: { list: [[], {}, 'é'] } }] }),
    ])('reads %s exactly as JSON.parse does', (text) => {
      expect(parseStrictJson(text)).toEqual(JSON.parse(text));
    });

    it('keeps keys that are only special elsewhere as plain own keys', () => {
      const value = parseStrictJson('{"constructor":1,"prototype":2,"toString":3}') as Record<string, unknown>;
      expect(Object.keys(value)).toEqual(['constructor', 'prototype', 'toString']);
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    });
  });

  describe('when a key is given twice', () => {
    it.each([
      ['{"a":1,"a":2}', 'a is given twice in the same object (line 1, column 8)'],
      ['{"packages":{"acme/hello":{"keys":[],"keys":[]}}}', 'packages["acme/hello"].keys is given twice'],
      ['[{"x":{}},{"x":{"y":1,"y":1}}]', '[1].x.y is given twice'],
      ['{"a\\u0062":1,"ab":2}', 'ab is given twice'],
    ])('refuses %s, naming the key by its path', (text, problem) => {
      expect(problemOf(text)).toContain(problem);
    });

    it('gives the line and column of the second key', () => {
      expect(problemOf('{\n  "requireSignedTag": true,\n  "requireSignedTag": false\n}')).toBe(
        'requireSignedTag is given twice in the same object (line 3, column 3)',
      );
    });
  });

  describe('when a key is __proto__', () => {
    it.each([
      ['{"__proto__":{"x":1}}', '__proto__: a "__proto__" key is not allowed'],
      ['{"packages":{"__proto__":{}}}', 'packages.__proto__: a "__proto__" key is not allowed'],
      ['{"\\u005f_proto__":1}', '__proto__: a "__proto__" key is not allowed'],
    ])('refuses %s at any depth, however it is written', (text, problem) => {
      expect(problemOf(text)).toContain(problem);
    });
  });

  describe('when the text is not JSON', () => {
    it.each([
      '',
      '   ',
      '{',
      '{"a":1,}',
      '[1,]',
      '{a:1}',
      "{'a':1}",
      '01',
      '1.',
      '.5',
      '+1',
      'NaN',
      'tru',
      '"a',
      '"tab\there"',
      '"\\x"',
      '{} {}',
      '\ufeff{}',
      '// comment\n{}',
    ])('refuses %j, as JSON.parse does', (text) => {
      expect(() => JSON.parse(text)).toThrow();
      expect(problemOf(text)).toMatch(/\(line \d+, column \d+\)$/);
    });

    it('refuses nesting deeper than the limit with a problem, not a stack overflow', () => {
      expect(parseStrictJson(`${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`)).toBeInstanceOf(Array);
      expect(problemOf(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toContain(
        `nested more than ${MAX_DEPTH} levels deep`,
      );
      expect(problemOf(`${'{"a":'.repeat(MAX_DEPTH + 1)}1${'}'.repeat(MAX_DEPTH + 1)}`)).toContain('nested more');
    });
  });
});

describe('jsonPath', () => {
  it('writes identifiers with dots and other names quoted', () => {
    expect(jsonPath(['packages', 'acme/*', 'identities', 0, 'ref'])).toBe('packages["acme/*"].identities[0].ref');
    expect(jsonPath([0, 'a b', '$schema'])).toBe('[0]["a b"].$schema');
    expect(jsonPath([])).toBe('');
  });
});
