/**
 * A JSON reader for files that decide what is trusted (policy, composer.lock, options). It accepts
 * exactly what JSON.parse accepts, except what JSON.parse lets through silently:
 *   - a key given twice in one object (JSON.parse keeps the last one, so a second
 *     `"requireSignedTag": false` further down switches a check off unnoticed);
 *   - a `__proto__` key (JSON.parse keeps it as an own key, but most code that copies objects
 *     drops it or, worse, sets the prototype with it);
 *   - nesting deeper than MAX_DEPTH (JSON.parse would overflow the stack with a RangeError).
 * Problems name where they are: a JSON path (`packages["acme/hello"].keys[0]`) or a line and column.
 */

/** Deeper than any file phpublish reads, far below what would exhaust the stack. */
export const MAX_DEPTH = 256;

export class StrictJsonProblem extends Error {
  override name = 'StrictJsonProblem';
}

/** `packages["acme/hello"].keys[0]`: names as `.name` when they are identifiers, else quoted. */
export function jsonPath(path: readonly (string | number)[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(part)) text += text === '' ? part : `.${part}`;
    else text += `[${JSON.stringify(part)}]`;
  }
  return text;
}

// JSON's own tokens (RFC 8259), matched where the reader stands (sticky).
const WHITESPACE = /[ \t\n\r]*/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings may not hold raw control characters.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERAL = /true|false|null/y;

/**
 * Parses `text` as JSON, refusing duplicate keys, `__proto__` keys and excessive nesting.
 * Throws StrictJsonProblem with a message that says what and where (never the file's contents
 * beyond a key name).
 */
export function parseStrictJson(text: string): unknown {
  return new Reader(text).document();
}

class Reader {
  #at = 0;
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  document(): unknown {
    this.#skipWhitespace();
    const value = this.#value(0);
    this.#skipWhitespace();
    if (this.#at < this.#text.length) this.#fail('unexpected text after the JSON value');
    return value;
  }

  /** Where the reader is in the document, for messages: one stack, pushed and popped as it descends. */
  readonly #path: (string | number)[] = [];

  #value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.#fail(`it is nested more than ${MAX_DEPTH} levels deep`);
    const char = this.#text[this.#at];
    if (char === '{') return this.#object(depth);
    if (char === '[') return this.#array(depth);
    if (char === '"') return this.#string();
    const number = this.#match(NUMBER);
    if (number !== undefined) return Number(number);
    const literal = this.#match(LITERAL);
    if (literal !== undefined) return literal === 'null' ? null : literal === 'true';
    return this.#fail(char === undefined ? 'the text ends where a value should be' : 'a value was expected');
  }

  #object(depth: number): Record<string, unknown> {
    this.#at += 1; // {
    const object: Record<string, unknown> = {};
    this.#skipWhitespace();
    if (this.#eat('}')) return object;
    for (;;) {
      this.#skipWhitespace();
      if (this.#text[this.#at] !== '"') this.#fail('a key in double quotes was expected');
      const keyAt = this.#at;
      const key = this.#string();
      this.#path.push(key);
      if (key === '__proto__') this.#fail(`${jsonPath(this.#path)}: a "__proto__" key is not allowed`, keyAt);
      if (Object.hasOwn(object, key)) this.#fail(`${jsonPath(this.#path)} is given twice in the same object`, keyAt);
      this.#skipWhitespace();
      if (!this.#eat(':')) this.#fail('":" was expected after the key');
      this.#skipWhitespace();
      object[key] = this.#value(depth + 1);
      this.#path.pop();
      this.#skipWhitespace();
      if (this.#eat('}')) return object;
      if (!this.#eat(',')) this.#fail('"," or "}" was expected');
    }
  }

  #array(depth: number): unknown[] {
    this.#at += 1; // [
    const array: unknown[] = [];
    this.#skipWhitespace();
    if (this.#eat(']')) return array;
    for (;;) {
      this.#skipWhitespace();
      this.#path.push(array.length);
      array.push(this.#value(depth + 1));
      this.#path.pop();
      this.#skipWhitespace();
      if (this.#eat(']')) return array;
      if (!this.#eat(',')) this.#fail('"," or "]" was expected');
    }
  }

  #string(): string {
    const token = this.#match(STRING);
    if (token === undefined) return this.#fail('a string is not closed, or holds a control character or a bad escape');
    // The token is exactly one JSON string: JSON.parse decodes its escapes as any JSON reader would.
    return token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1);
  }

  #match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.#at;
    const match = pattern.exec(this.#text);
    if (!match || match[0] === '') return undefined;
    this.#at = pattern.lastIndex;
    return match[0];
  }

  #eat(char: string): boolean {
    if (this.#text[this.#at] !== char) return false;
    this.#at += 1;
    return true;
  }

  #skipWhitespace(): void {
    WHITESPACE.lastIndex = this.#at;
    WHITESPACE.exec(this.#text);
    this.#at = WHITESPACE.lastIndex;
  }

  #fail(problem: string, at = this.#at): never {
    const before = this.#text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    throw new StrictJsonProblem(`${problem} (line ${line}, column ${column})`);
  }
}
