import { isPhpublishError, PHPUBLISH_VERSION, PhpublishAggregateError } from '@phpublish/core';
import { quoteValue } from '@phpublish/core/input';
import { Redactor } from '@phpublish/core/log';
import { readSigningKeyMaterial } from '@phpublish/core/pgp';
import type { Command } from './command.js';
import { type ParsedCommandLine, parseCommandLine, UsageError } from './command-line.js';
import { EXIT } from './exit-codes.js';
import type { CommandIo } from './io.js';

/**
 * Every command, loaded only when it runs: a command pulls in what it needs (OpenPGP, Sigstore,
 * the sandbox), and start-up should not pay for the others. The one-line summaries live here so
 * that the general help needs no command module.
 */
const commands: Record<string, { summary: string; load(): Promise<Command> }> = {
  publish: {
    summary: 'Release a tag through every layer: signed tag, reproducible zip, attestation, Packagist',
    load: async () => (await import('./commands/publish.js')).publishCommand,
  },
  rehearse: {
    summary: 'Rehearse a release end to end against local stand-ins (no real service, no real remote)',
    load: async () => (await import('./commands/rehearse.js')).rehearseCommand,
  },
  doctor: {
    summary: 'Show what is configured and what is missing for releases of this repository',
    load: async () => (await import('./commands/doctor.js')).doctorCommand,
  },
  notify: {
    summary: 'Tell Packagist about a pushed release tag and confirm it serves the version at that commit',
    load: async () => (await import('./commands/notify.js')).notifyCommand,
  },
  verify: {
    summary: 'Verify installed or wanted versions: Packagist → commit → signed tag → attestation → content',
    load: async () => (await import('./commands/verify.js')).verifyCommand,
  },
  archive: {
    summary: 'Build the reproducible dist zip of a commit; print its sha256 and content-tree digest',
    load: async () => (await import('./commands/archive.js')).archiveCommand,
  },
  digest: {
    summary: 'Print the content-tree digest of a zip (phpublish’s or a GitHub zipball) or of a git ref',
    load: async () => (await import('./commands/digest.js')).digestCommand,
  },
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
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!entry) {
    io.stderr.write(`phpublish: unknown command ${quoteValue(name)}.\n\n${generalHelp()}`);
    return EXIT.usage;
  }
  const command = await entry.load();
  const usage = (error: UsageError) => {
    io.stderr.write(`phpublish ${name}: ${error.message}\n\nUsage: ${command.usage}\n`);
    return EXIT.usage;
  };
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(
      { ...command, options: { ...command.options, help: { type: 'boolean', short: 'h' } } },
      rest,
    );
  } catch (error) {
    if (error instanceof UsageError) return usage(error);
    throw error;
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
    if (error instanceof UsageError) return usage(error);
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
