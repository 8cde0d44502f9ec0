import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordForLeakScan } from '@phpublish/testing/leak-scan';
import { expect } from 'vitest';
import type { CliRun } from '../../commands/testing/run-cli.js';
import { EXIT } from '../../exit-codes.js';

/**
 * The bad-input corpus (packages/cli/corpus/fixtures/<kind>/<case>.case.json, beside each case's input file):
 * hostile or broken inputs of every kind phpublish reads, each with the command that reads it and
 * the coded error it must end in. See packages/cli/corpus/README.md for the format.
 */
export const CORPUS_DIR = fileURLToPath(new URL('../../../corpus/fixtures/', import.meta.url));

/** Which test file runs each kind: corpus-local.test.ts or corpus-verify.test.ts. */
export const CORPUS_KINDS = {
  local: ['zip', 'git-tree', 'tag-name', 'config', 'composer-json', 'key', 'env'],
  verify: ['lock', 'policy', 'url', 'trusted-root', 'bundle'],
} as const;

export interface CorpusCase {
  /** `<kind>/<case>`, for test names and messages. */
  readonly id: string;
  readonly kind: string;
  /** Folder of the manifest (inputs and the files they name are next to it). */
  readonly dir: string;
  /** Why the input is hostile or broken. */
  readonly about: string;
  /** Absolute path of the input file, when the case has one. */
  readonly input: string | undefined;
  /** The command line after `phpublish`; placeholders are filled in by the kind's harness. */
  readonly command: readonly string[];
  /** Extra environment; placeholders allowed, as in `command`. */
  readonly env: Readonly<Record<string, string>>;
  /** phpublish.config.json for the harnesses that run in a package repository (their default when absent). */
  readonly config: unknown;
  /** `code` must appear in the output; `exit` is 1 for a coded error, 2 for a usage error. */
  readonly expect: { readonly code?: string; readonly exit: number };
}

interface Manifest {
  about: string;
  input?: string;
  command: string[];
  env?: Record<string, string>;
  config?: unknown;
  expect: { code?: string; exit?: number };
}

/** Every case of these kinds, sorted; throws on a malformed manifest (a broken corpus must not pass silently). */
export function loadCorpus(kinds: readonly string[]): CorpusCase[] {
  const cases: CorpusCase[] = [];
  for (const kind of kinds) {
    const dir = join(CORPUS_DIR, kind);
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith('.case.json')) continue;
      const id = `${kind}/${name.slice(0, -'.case.json'.length)}`;
      const manifest = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Manifest;
      const exit = manifest.expect?.exit ?? EXIT.failed;
      if (typeof manifest.about !== 'string' || !Array.isArray(manifest.command)) {
        throw new Error(`corpus case ${id}: needs "about" and "command"`);
      }
      if (exit === EXIT.failed && !manifest.expect.code) throw new Error(`corpus case ${id}: a failure names its code`);
      const input = manifest.input === undefined ? undefined : join(dir, manifest.input);
      if (input !== undefined && !existsSync(input)) throw new Error(`corpus case ${id}: no input ${manifest.input}`);
      cases.push({
        id,
        kind,
        dir,
        about: manifest.about,
        input,
        command: manifest.command,
        env: manifest.env ?? {},
        config: manifest.config,
        expect: { exit, ...(manifest.expect.code ? { code: manifest.expect.code } : {}) },
      });
    }
  }
  return cases;
}

/**
 * Fills `{input}` (the input's path), `{input:text}` (its text) and the harness's own placeholders
 * (`{policy}`, `{work}`, …) into a command-line argument or an environment value.
 */
export function fill(text: string, corpusCase: CorpusCase, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{([a-z:-]+)\}/g, (whole, name: string) => {
    if (name === 'input' && corpusCase.input) return corpusCase.input;
    if (name === 'input:text' && corpusCase.input) return readFileSync(corpusCase.input, 'utf8');
    if (Object.hasOwn(values, name)) return values[name] as string;
    throw new Error(`corpus case ${corpusCase.id}: unknown placeholder ${whole}`);
  });
}

/** A line of a JavaScript stack trace, as Node prints them. */
export const STACK_LINE = /^\s+at .+(\(|:\d+:\d+)/m;

/**
 * What every case must show: its exit code (never 70), its error code in the output, no stack trace;
 * the output also goes to the suite's leak scan.
 */
export function expectCodedEnd(corpusCase: CorpusCase, run: CliRun): void {
  const output = `${run.stdout}\n${run.stderr}`;
  recordForLeakScan(`the output of phpublish for corpus case ${corpusCase.id}`, output);
  const explain = `${corpusCase.id}: ${corpusCase.about}\n--- exit ${run.code}, output:\n${output}`;
  expect(run.code, explain).not.toBe(EXIT.internal);
  expect(output, explain).not.toMatch(STACK_LINE);
  expect(run.code, explain).toBe(corpusCase.expect.exit);
  if (corpusCase.expect.code) expect(output, explain).toContain(corpusCase.expect.code);
}
