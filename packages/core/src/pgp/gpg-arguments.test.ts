import { describe, expect, it } from 'vitest';
import { GpgUsageProblem, parseGpgArguments } from './gpg-arguments.js';

/** The reason a command line is refused (GPG_PROGRAM_USAGE's problem), or a failure when it is accepted. */
function refusal(args: string[]): string {
  try {
    parseGpgArguments(args);
  } catch (error) {
    expect(error).toBeInstanceOf(GpgUsageProblem);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(args)} was accepted`);
}

describe('when a tool signs the way git does, in any of GnuPG’s spellings', () => {
  it.each([
    [['-bsau', 'ABCD'], 'ABCD'],
    [['-bsauABCD'], 'ABCD'],
    [['-b', '-s', '-a', '-u', 'ABCD'], 'ABCD'],
    [['-q', '-bsa', '--default-key', 'ABCD'], 'ABCD'],
    [['--detach-sig', '--armour', '--sign', '--default-key=ABCD', '-'], 'ABCD'],
    [['--digest-algo', 'SHA512', '--pinentry-mode=loopback', '--no-tty', '-bsa'], undefined],
  ])('reads %j as a detached armored signature of standard input by %s', (args, localUser) => {
    const invocation = parseGpgArguments(args);
    expect(invocation).toMatchObject({ mode: 'sign', detach: true, armor: true });
    expect(invocation.localUser).toBe(localUser);
  });

  it('takes everything after -- as file names, even when it looks like an option', () => {
    expect(parseGpgArguments(['--status-fd=1', '--verify', '--', '--sig.asc', '-'])).toMatchObject({
      mode: 'verify',
      files: ['--sig.asc', '-'],
    });
  });

  it('answers --version and --help without looking at the rest', () => {
    expect(parseGpgArguments(['--version', '--no-such-option']).mode).toBe('version');
    expect(parseGpgArguments(['--help', '-x']).mode).toBe('help');
  });

  it('reads --check-key with or without a key, whatever else is asked', () => {
    expect(parseGpgArguments(['--check-key'])).toMatchObject({ mode: 'check' });
    expect(parseGpgArguments(['--check-key', '-u', 'ABCD', '--verify'])).toMatchObject({
      mode: 'check',
      localUser: 'ABCD',
    });
  });
});

describe('when the command line asks for something phpublish-gpg does not do', () => {
  it.each([
    [['-bsau'], 'option -u needs a value'],
    [['--status-fd'], 'option --status-fd needs a value'],
    [['--status-fd=two', '-bsa'], '--status-fd needs a file descriptor number, not "two"'],
    [['--digest-algo'], 'option --digest-algo needs a value'],
    [['--batch=yes', '-bsa'], 'option --batch is not supported'],
    [['-bsex'], 'option -e is not supported'],
    [['--encrypt'], 'option --encrypt is not supported'],
    [['-bsa', '--verify', 'sig', '-'], 'signing and verifying at once is not supported'],
    [['--status-fd=1'], 'nothing to do'],
    [['-sa'], 'only detached, armored signatures are supported'],
    [['-bs'], 'only detached, armored signatures are supported'],
    [['-bsa', '-', 'other'], 'signing reads standard input only'],
    [['--verify', 'sig', 'data', 'more'], '--verify needs a detached signature file and the signed data'],
  ])('refuses %j: %s', (args, reason) => {
    expect(refusal(args)).toContain(reason);
  });
});
