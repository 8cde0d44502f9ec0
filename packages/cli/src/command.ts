import type { CommandLineSpec, ParsedCommandLine } from './command-line.js';
import type { CommandIo } from './io.js';

/**
 * One command. Its spec (options, positionals, whole numbers and URLs) is checked by `main`
 * before `run`; `run` throws UsageError for what only it can judge (exit 2, with the usage line).
 * It lives apart from `main.ts` so that the commands, which `main` loads, do not import `main` back.
 */
export interface Command extends CommandLineSpec {
  usage: string;
  help: string;
  run(args: ParsedCommandLine, io: CommandIo): Promise<number>;
}
