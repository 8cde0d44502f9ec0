import { describe, expect, it } from 'vitest';
import { parseStrictJson, StrictJsonProblem } from './strict-json.js';

// The mistakes people make when editing a JSON file by hand (composer.json, a policy, a config) are
// named in words, at the line and column where the parser stopped, so they can be found and fixed.

function problemOf(text: string): string {
  try {
    parseStrictJson(text);
  } catch (error) {
    if (error instanceof StrictJsonProblem) return error.message;
    throw error;
  }
  throw new Error(`accepted: ${text}`);
}

describe('when a hand-edited JSON file has a typical mistake', () => {
  it.each([
    ['a key without its colon', '{\n  "name" "acme/hello"\n}', '":" was expected after the key (line 2, column 10)'],
    [
      'a missing comma between two members',
      '{\n  "name": "acme/hello"\n  "type": "library"\n}',
      '"," or "}" was expected (line 3, column 3)',
    ],
    [
      'a missing comma between two list items',
      '{"keywords": ["a" "b"]}',
      '"," or "]" was expected (line 1, column 19)',
    ],
    ['an object that is never closed', '{"name": "acme/hello"', '"," or "}" was expected (line 1, column 22)'],
    ['a list that is never closed', '[1, 2', '"," or "]" was expected (line 1, column 6)'],
  ])('names %s and where it is', (_mistake, text, problem) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(problemOf(text)).toBe(problem);
  });
});
