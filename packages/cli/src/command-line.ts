import { parseArgs } from 'node:util';
import { quoteValue } from '@phpublish/core/input';

type OptionSpecs = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

/** What a command declares about its command line; `main` checks all of it before the command runs. */
export interface CommandLineSpec {
  options: OptionSpecs;
  allowPositionals?: boolean;
  /** Options that take a whole number, with the range they accept; the command gets numbers. */
  integers?: Readonly<Record<string, { min: number; max: number }>>;
  /** Options that take the base URL of an http(s) service. */
  urls?: readonly string[];
}

export interface ParsedCommandLine {
  values: Record<string, unknown>;
  positionals: string[];
}

/**
 * A wrong command line that a command finds itself (a tag that cannot be one, an argument too
 * many): `main` prints the message and the usage line, and exits 2.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Parses a command's arguments and checks everything its spec says: known options, each at most
 * once, with a value when they take one (never an empty one, never the next option), whole numbers
 * within their range, URLs that are URLs. Throws UsageError with one clear sentence.
 */
export function parseCommandLine(spec: CommandLineSpec, args: string[]): ParsedCommandLine {
  // Not strict: node's strict mode stops at the first problem with messages about its own syntax
  // ("argument is ambiguous"); the tokens let every check below say what is wrong in our words.
  const { tokens } = parseArgs({ args, options: spec.options, allowPositionals: true, strict: false, tokens: true });
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (!spec.allowPositionals) {
        throw new UsageError(`unexpected argument ${quoteValue(token.value)}: this command takes options only.`);
      }
      positionals.push(token.value);
      continue;
    }
    const option = Object.hasOwn(spec.options, token.name) ? spec.options[token.name] : undefined;
    if (!option) throw new UsageError(`unknown option ${quoteValue(token.rawName)}.`);
    const name = `--${token.name}`;
    if (Object.hasOwn(values, token.name)) throw new UsageError(`${name} is given twice.`);
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${name} takes no value (${quoteValue(token.rawName)}=…).`);
      values[token.name] = true;
      continue;
    }
    values[token.name] = optionValue(spec, token.name, token.value, token.inlineValue);
  }
  return { values, positionals };
}

function optionValue(spec: CommandLineSpec, key: string, value: string | undefined, inline: boolean | undefined) {
  const name = `--${key}`;
  const range = spec.integers?.[key];
  if (value === undefined || value === '') throw new UsageError(`${name} needs a value.`);
  // `--policy --json` would take "--json" as the file; -1 is a (wrong) value, though: no option starts with a digit.
  if (!inline && value.startsWith('-') && !/^-[0-9]/.test(value)) {
    throw new UsageError(
      `${name} needs a value, not the option ${quoteValue(value)} (for a value that starts with "-", write ${name}=<value>).`,
    );
  }
  if (range) return integerValue(name, value, range);
  if (spec.urls?.includes(key)) {
    const problem = httpUrlProblem(value);
    if (problem)
      throw new UsageError(`${name} takes an http(s) URL, not ${quoteValue(withoutUserInfo(value))}: ${problem}.`);
  }
  return value;
}

function integerValue(name: string, value: string, range: { min: number; max: number }): number {
  const number = /^[0-9]{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= range.min && number <= range.max)) {
    throw new UsageError(`${name} takes a whole number from ${range.min} to ${range.max}, not ${quoteValue(value)}.`);
  }
  return number;
}

/**
 * Why `value` is not the base URL of an http(s) service, or undefined when it is one. What the
 * WHATWG parser would silently repair (spaces, tabs, newlines) is refused, as are credentials
 * (they would end up in logs), a query and a fragment (paths are appended to the URL).
 */
export function httpUrlProblem(value: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return 'it holds spaces or control characters';
  if (!URL.canParse(value)) return 'it cannot be parsed as a URL';
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `its scheme is ${url.protocol} (http or https only)`;
  if (url.hostname === '') return 'it names no host';
  if (url.username !== '' || url.password !== '') return 'it holds credentials (they would be logged)';
  if (url.search !== '' || value.includes('?')) return 'it has a query (?…)';
  if (url.hash !== '' || value.includes('#')) return 'it has a fragment (#…)';
  return undefined;
}

/** A value as typed, for a message: what stands before an `@` after `//` (credentials in a URL) is `***`. */
export function withoutUserInfo(value: string): string {
  return value.replace(/\/\/[^/?#\s]*@/g, '//***@');
}

/**
 * Why `name` cannot be a git tag name (git check-ref-format's rules for `refs/tags/<name>`), or
 * undefined. A name starting with `-` is refused too: git would read it as an option.
 */
export function tagNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.startsWith('-')) return 'it starts with "-"';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name)) return 'it holds a space, a control character or one of ~^:?*[\\';
  if (name.includes('..') || name.includes('@{')) return 'it holds ".." or "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'it has an empty path component';
  if (name.endsWith('.')) return 'it ends with "."';
  if (name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) {
    return 'a part of it starts with "." or ends with ".lock"';
  }
  return undefined;
}

/** The one tag a command works on, checked as a tag name (a usage error otherwise). */
export function tagArgument(positionals: string[], action: string): string {
  const [tag, ...extra] = positionals;
  if (tag === undefined) throw new UsageError(`name the tag to ${action}, e.g. v1.2.3.`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${quoteValue(extra[0])}: name one tag.`);
  const problem = tagNameProblem(tag);
  if (problem) throw new UsageError(`${quoteValue(tag)} is not a tag name: ${problem}.`);
  return tag;
}

/**
 * Why a value that git will read as a revision or remote (`--commit`, `--remote`) cannot be one:
 * empty, starting with `-` (git would read an option) or holding control characters.
 */
export function gitArgumentProblem(value: string): string | undefined {
  if (value === '') return 'it is empty';
  if (value.startsWith('-')) return 'it starts with "-"';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'it holds control characters';
  return undefined;
}
