import type { SandboxRequest } from './exchange.js';

/**
 * What a matching request gets instead of (or, with `after`, in place of the answer to) normal handling:
 * a canned response (429, 5xx, HTML from a proxy…), a TCP reset, or a delay before normal handling.
 */
export type Fault =
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string }
  | { readonly reset: true }
  | { readonly hangMs: number };

export interface FaultRule {
  /** Any method when absent. */
  readonly method?: string;
  /** The request path (without query): equal to a string, or matching a RegExp. */
  readonly path: string | RegExp;
  /** How many matching requests get the fault; 1 when absent. */
  readonly times?: number;
  /** Matching requests to let through untouched before the fault starts (to fail a later step only). */
  readonly skip?: number;
  /**
   * `before` (default): the request is not handled at all. `after`: it is handled (a job may be queued)
   * and the client gets the fault instead of the answer, like a proxy failing on the way back.
   */
  readonly when?: 'before' | 'after';
  readonly fault: Fault;
}

interface ActiveRule extends FaultRule {
  remaining: number;
  toSkip: number;
}

/** Faults armed by tests, each for a number of matching requests, in the order they were armed. */
export class FaultInjector {
  #rules: ActiveRule[] = [];

  arm(rule: FaultRule): void {
    const times = rule.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new Error('sandbox: fault `times` must be a positive integer');
    const skip = rule.skip ?? 0;
    if (!Number.isInteger(skip) || skip < 0) throw new Error('sandbox: fault `skip` must be a whole number');
    this.#rules.push({ ...rule, remaining: times, toSkip: skip });
  }

  /** The rule that applies to this request, if any, counting it as used. */
  take(request: SandboxRequest): ActiveRule | undefined {
    const matchesPath = (path: string | RegExp) => {
      if (typeof path === 'string') return path === request.path;
      path.lastIndex = 0; // a /g or /y pattern would otherwise remember where it stopped
      return path.test(request.path);
    };
    const rule = this.#rules.find(
      (candidate) =>
        (candidate.method === undefined || candidate.method.toUpperCase() === request.method) &&
        matchesPath(candidate.path),
    );
    if (!rule) return undefined;
    if (rule.toSkip > 0) {
      rule.toSkip -= 1;
      return undefined;
    }
    rule.remaining -= 1;
    if (rule.remaining === 0) this.#rules = this.#rules.filter((candidate) => candidate !== rule);
    return rule;
  }

  clear(): void {
    this.#rules = [];
  }
}
