// `phpublish-changesets publish [--dry-run] [--output <file>|-] [--remote <name>] [--config <file>]`:
// the command a changesets repository runs as its publish script. Exit codes as `phpublish`'s.
import { parseArgs } from 'node:util';
import { EXIT, isPhpublishError, PHPUBLISH_VERSION, PhpublishAggregateError } from '@phpublish/core';
import { loadOptionsFile } from '@phpublish/core/config';
import { type Logger, Redactor } from '@phpublish/core/log';
import { readSigningKeyMaterial } from '@phpublish/core/pgp';
import { type ChangesetsOutput, publishChangesetsRelease } from './publish.js';

/** The exit codes of every phpublish program (core's), re-exported for this command's callers. */
export { EXIT };

/** What the command may touch, passed in (tests give their own). */
export interface CommandIo {
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Read only for `--output -`. */
  stdin: AsyncIterable<Uint8Array | string>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export const USAGE = 'phpublish-changesets publish [--dry-run] [--output <file>|-] [--remote <name>] [--config <file>]';

const HELP = [
  `phpublish-changesets ${PHPUBLISH_VERSION} — the publish step of a changesets repository holding a PHP package`,
  '',
  `Usage: ${USAGE}`,
  '',
  'Finds what changesets released and, for the PHP package at the repository root (composer.json beside a',
  'private package.json, tag v<version>): runs the preflight, creates the OpenPGP-signed tag (replacing the',
  'unsigned local one `changeset tag`/`git-tag` made) and pushes it, builds and attests the dist zip, notifies',
  'Packagist and waits until it serves the version at the tagged commit, then prints the posture.',
  '',
  'What was released, in this order:',
  '  --output <file>   changesets’ output: the NDJSON file of @changesets/cli 3, or the saved stdout of',
  '                    `changeset tag` / `changeset publish` of @changesets/cli 2 (its "New tag:" lines)',
  '  --output -        the same, read from standard input and copied to standard output',
  '  (neither)         the file CHANGESETS_OUTPUT names; else each PHP package version whose tag the remote',
  '                    does not have yet',
  '',
  'Options:',
  '  --dry-run         run the preflight and say what would happen; change nothing',
  '  --remote <name>   where to push the tag (default origin)',
  '  --config <file>   options file (default: phpublish.config.json when present)',
  '',
  'Exit codes: 0 success (also when nothing was released), 1 a check or step failed, 2 wrong usage, 70 internal error.',
  'Docs: https://github.com/phpublish/phpublish/tree/main/packages/changesets#readme',
].join('\n');

class UsageError extends Error {}

interface Arguments {
  dryRun: boolean;
  output: string | undefined;
  remote: string | undefined;
  config: string | undefined;
}

/** Parses `publish` and its options; throws UsageError with one sentence. */
export function parseArguments(argv: readonly string[]): Arguments | 'help' | 'version' {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') return 'help';
  if (command === '--version' || command === '-v') return 'version';
  if (command !== 'publish') {
    throw new UsageError(
      command === undefined ? 'name the command: publish.' : `unknown command ${JSON.stringify(command)}.`,
    );
  }
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(rest);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}.`);
  for (const name of ['output', 'remote', 'config'] as const) {
    const value = values[name];
    if (value === '') throw new UsageError(`--${name} needs a value.`);
    // `-` alone is stdin for --output; anything else starting with `-` is a forgotten value.
    if (value?.startsWith('-') && !(name === 'output' && value === '-')) {
      throw new UsageError(
        `--${name} needs a value, not ${JSON.stringify(value)} (write --${name}=<value> if it starts with "-").`,
      );
    }
  }
  return { dryRun: values['dry-run'] === true, output: values.output, remote: values.remote, config: values.config };
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean' },
      output: { type: 'string' },
      remote: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Runs the command line; never throws, always resolves to an exit code. */
export async function main(io: CommandIo): Promise<number> {
  let args: ReturnType<typeof parseArguments>;
  try {
    args = parseArguments(io.argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`phpublish-changesets: ${error.message}\n\nUsage: ${USAGE}\n`);
    return EXIT.usage;
  }
  if (args === 'help') {
    io.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  if (args === 'version') {
    io.stdout.write(`${PHPUBLISH_VERSION}\n`);
    return EXIT.ok;
  }
  // A last line of defence: whatever escapes is printed without secrets and without a stack.
  const redactor = new Redactor();
  redactor.add(io.env['PACKAGIST_API_TOKEN']);
  for (const secret of readSigningKeyMaterial({ env: io.env }).secrets) redactor.add(secret);
  try {
    const options = await loadOptionsFile(io.cwd, args.config);
    const output: ChangesetsOutput | undefined =
      args.output === '-'
        ? { text: await copyStdin(io), source: 'standard input' }
        : args.output === undefined
          ? undefined
          : { path: args.output };
    await publishChangesetsRelease({
      cwd: io.cwd,
      env: io.env,
      logger: stderrLogger(io),
      options,
      dryRun: args.dryRun,
      ...(output ? { output } : {}),
      ...(args.remote ? { remote: args.remote } : {}),
      print: (text) => io.stdout.write(`${text}\n`),
    });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof PhpublishAggregateError || isPhpublishError(error)) {
      io.stderr.write(`\n${redactor.redact(error.format())}\n`);
      return EXIT.failed;
    }
    io.stderr.write(
      `\nphpublish-changesets: internal error: ${redactor.redact(String((error as Error)?.message ?? error))}\n` +
        '  This is a defect in phpublish; please report it with the command you ran.\n',
    );
    return EXIT.internal;
  }
}

/**
 * Standard input, copied to standard output as it comes: changesets/action v1 reads the publish
 * script's stdout for "New tag:" lines, so piping `changeset tag` through this command keeps them.
 */
async function copyStdin(io: CommandIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    chunks.push(bytes);
    io.stdout.write(bytes.toString('utf8'));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Progress and notes go to stderr; the posture table to stdout. */
function stderrLogger(io: CommandIo): Logger {
  return {
    info: (m) => io.stderr.write(`  ${m}\n`),
    warn: (m) => io.stderr.write(`! ${m}\n`),
    error: (m) => io.stderr.write(`✖ ${m}\n`),
    success: (m) => io.stderr.write(`✔ ${m}\n`),
  };
}
