import { isPhpublishError, PhpublishAggregateError } from '@phpublish/core';
import { table } from '../../io.js';

/** One step of a rehearsal and how it went, for the table and the JSON report. */
export interface RehearsalStep {
  step: string;
  /** `skipped`: the step does not apply to this rehearsal (the detail says why); it does not fail it. */
  status: 'passed' | 'failed' | 'skipped';
  detail: string;
  /** The error code(s) of a failed step, e.g. `REHEARSE_COMPOSER_FAILED`. */
  code?: string;
}

/**
 * The steps of one rehearsal. A step that fails with a coded error is recorded, its error printed to
 * stderr, and the rehearsal goes on to report (the posture table and the JSON still come out): an
 * environment condition is a failed step (exit 1), not a defect. Anything uncoded is a defect and
 * propagates (exit 70).
 */
export class RehearsalSteps {
  readonly list: RehearsalStep[] = [];

  constructor(private readonly stderr: { write(text: string): void }) {}

  /** Runs `step`; undefined when it failed with a coded error. */
  async run<T>(step: string, action: () => Promise<T>, describe: (value: T) => string): Promise<T | undefined> {
    let value: T;
    try {
      value = await action();
    } catch (error) {
      if (!(error instanceof PhpublishAggregateError) && !isPhpublishError(error)) throw error;
      this.stderr.write(`\n${error.format()}\n\n`);
      const code = error instanceof PhpublishAggregateError ? error.errors.map((e) => e.code).join(', ') : error.code;
      this.fail(step, error.message, code);
      return undefined;
    }
    this.list.push({ step, status: 'passed', detail: describe(value) });
    return value;
  }

  pass(step: string, detail: string): void {
    this.list.push({ step, status: 'passed', detail });
  }

  skip(step: string, detail: string): void {
    this.list.push({ step, status: 'skipped', detail });
  }

  fail(step: string, detail: string, code?: string): void {
    this.list.push({ step, status: 'failed', detail, ...(code === undefined ? {} : { code }) });
  }

  get ok(): boolean {
    return this.list.every((step) => step.status !== 'failed');
  }

  /** The plain table of the steps, for the text report. */
  text(): string {
    return table([
      ['rehearsal step', 'status', 'detail'],
      ...this.list.map((s) => [s.step, s.code ? `${s.status} (${s.code})` : s.status, firstLine(s.detail)]),
    ]);
  }
}

const firstLine = (text: string) => text.split('\n')[0] ?? '';
