import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  type CommandLineSpec,
  httpUrlProblem,
  parseCommandLine,
  tagNameProblem,
  UsageError,
  withoutUserInfo,
} from './command-line.js';

const spec: CommandLineSpec = {
  options: { size: { type: 'string' }, count: { type: 'string' }, url: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: true,
  integers: { count: { min: 1, max: 10 } },
  urls: ['url'],
};

function problemOf(args: string[]): string {
  try {
    parseCommandLine(spec, args);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(args)}`);
}

describe('parseCommandLine', () => {
  it('gives whole numbers as numbers, and everything else as written', () => {
    expect(parseCommandLine(spec, ['a', '--count', '10', '--url=https://x.test/p', '--json', '--', '-b'])).toEqual({
      values: { count: 10, url: 'https://x.test/p', json: true },
      positionals: ['a', '-b'],
    });
  });

  it('hands a negative number to the option (its own check says what is wrong with it)', () => {
    expect(parseCommandLine(spec, ['--size', '-5']).values).toEqual({ size: '-5' });
    expect(problemOf(['--count', '-5'])).toBe('--count takes a whole number from 1 to 10, not "-5".');
  });

  it('escapes what it quotes from the command line', () => {
    expect(problemOf(['--\u001b[31mred'])).toBe('unknown option "--\\u001b[31mred".');
  });

  it('refuses positionals when the command takes none', () => {
    expect(() => parseCommandLine({ options: {} }, ['x'])).toThrow(
      'unexpected argument "x": this command takes options only.',
    );
  });
});

describe('httpUrlProblem', () => {
  it.each(['https://repo.packagist.org', 'http://127.0.0.1:8080/base/', 'https://[::1]:443'])('accepts %s', (url) => {
    expect(httpUrlProblem(url)).toBeUndefined();
  });

  it.each([
    ['http://[::1', 'it cannot be parsed as a URL'],
    ['https://a\tb.test', 'it holds spaces or control characters'],
    ['file:///etc/passwd', 'its scheme is file: (http or https only)'],
    ['https://token@github.test', 'it holds credentials (they would be logged)'],
    ['https://x.test/#frag', 'it has a fragment (#…)'],
    ['https://x.test/?', 'it has a query (?…)'],
  ])('refuses %j: %s', (url, problem) => {
    expect(httpUrlProblem(url)).toBe(problem);
  });
});

describe('withoutUserInfo', () => {
  it('hides credentials of URLs wherever they are in a value', () => {
    expect(withoutUserInfo('-https://x-access-token:ghs_abc@github.com/a/b.git')).toBe(
      '-https://***@github.com/a/b.git',
    );
    expect(withoutUserInfo('https://example.org/a@b')).toBe('https://example.org/a@b');
  });
});

describe('tagNameProblem', () => {
  // What git itself accepts as refs/tags/<name>, so the two never disagree.
  const gitAccepts = (name: string) => {
    try {
      execFileSync('git', ['check-ref-format', `refs/tags/${name}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    'v1.2.3',
    'release/1.0',
    '1.0.0-rc.1+build',
    'v1.0.0.lock',
    'v1..0',
    'a b',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[',
    'a\\b',
    '.hidden',
    'a/.b',
    'a/',
    'a//b',
    'a.',
    'a@{1}',
    '@',
    'a\u007f',
    'a\u0001',
  ])('agrees with git check-ref-format on %j', (name) => {
    expect(tagNameProblem(name) === undefined).toBe(gitAccepts(name));
  });

  it('refuses what git would read as an option', () => {
    expect(tagNameProblem('-x')).toBe('it starts with "-"');
    expect(tagNameProblem('')).toBe('it is empty');
  });
});
