import { parseArgs } from 'node:util';
import {
  isPhpublishError,
  PHPUBLISH_VERSION,
  PhpublishAggregateError,
  Redactor,
  readSigningKeyMaterial,
} from '@phpublish/core';
import { archiveCommand } from './commands/archive.js';
import { digestCommand } from './commands/digest.js';
import { doctorCommand } from './commands/doctor.js';
import { notifyCommand } from './commands/notify.js';
import { publishCommand } from './commands/publish.js';
import { rehearseCommand } from './commands/rehearse.js';
import { verifyCommand } from './commands/verify.js';
import { EXIT } from './exit-codes.js';
import type { CommandIo } from './io.js';

export interface Command {
  summary: string;
  usage: string;
  help: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  allowPositionals?: boolean;
  run(args: { values: Record<string, unknown>; positionals: string[] }, io: CommandIo): Promise<number>;
}

const commands: Record<string, Command> = {
  publish: publishCommand,
  rehearse: rehearseCommand,
  doctor: doctorCommand,
  notify: notifyCommand,
  verify: verifyCommand,
  archive: archiveCommand,
  digest: digestCommand,
};

function generalHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    `phpublish ${PHPUBLISH_VERSION} — publish PHP packages safely`,
    '',
    'Usage: phpublish <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `phpublish <command> --help` for a command’s options.',
    'Exit codes: 0 success, 1 a check or step failed, 2 wrong usage, 70 internal error.',
    'Docs: https://github.com/phpublish/phpublish#readme',
    '',
  ].join('\n');
}

/** Runs the command line; never throws, always resolves to an exit code. */
export async function main(io: CommandIo): Promise<number> {
  const [name, ...rest] = io.argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(generalHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${PHPUBLISH_VERSION}\n`);
    return EXIT.ok;
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(`phpublish: unknown command "${name}".\n\n${generalHelp()}`);
    return EXIT.usage;
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    io.stderr.write(`phpublish ${name}: ${(error as Error).message}\n\nUsage: ${command.usage}\n`);
    return EXIT.usage;
  }
  if (parsed.values['help']) {
    io.stdout.write(`Usage: ${command.usage}\n\n${command.help}\n`);
    return EXIT.ok;
  }
  // A last line of defence: whatever escapes a command is printed without secrets and without a stack.
  const redactor = new Redactor();
  redactor.add(io.env['PACKAGIST_API_TOKEN']);
  for (const secret of readSigningKeyMaterial({ env: io.env }).secrets) redactor.add(secret);
  try {
    return await command.run(parsed, io);
  } catch (error) {
    if (error instanceof PhpublishAggregateError || isPhpublishError(error)) {
      io.stderr.write(`\n${redactor.redact(error.format())}\n`);
      return EXIT.failed;
    }
    io.stderr.write(
      `\nphpublish: internal error: ${redactor.redact(String((error as Error)?.message ?? error))}\n` +
        '  This is a defect in phpublish; please report it with the command you ran.\n',
    );
    return EXIT.internal;
  }
}
