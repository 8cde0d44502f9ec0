import type { SandboxRequest } from './exchange.js';

/**
 * What a matching request gets instead of (or, with `after`, in place of the answer to) normal handling:
 * - `status`: a canned response (429 with or without Retry-After, 5xx, 403/404, HTML from a proxy, a
 *   200 with a garbage body…);
 * - `reset`: a TCP reset;
 * - `hangMs`: a delay before normal handling (latency; longer than the client's timeout: a timeout);
 * - `drip`: the answer (the real one, or the canned `status` one with `after`) trickled a few bytes at a
 *   time, `intervalMs` apart, each gap shorter than a per-chunk timeout would notice;
 * - `truncate`: the answer's headers with its full Content-Length, then half of its body, then the
 *   connection closed;
 * - `oversize`: a 200 whose body is `bytes` long (declared in Content-Length or not), larger than any
 *   answer a client should accept.
 * TLS failures are not faults of a route: a stand-in serving HTTPS (the GitHub one) fails every client
 * that does not trust its throwaway CA.
 */
export type Fault =
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string }
  | { readonly reset: true }
  | { readonly hangMs: number }
  | { readonly drip: { readonly chunkBytes: number; readonly intervalMs: number } }
  | { readonly truncate: true }
  | { readonly oversize: { readonly bytes: number; readonly declared: boolean } };

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
    const { fault } = rule;
    if ('drip' in fault && (fault.drip.chunkBytes < 1 || fault.drip.intervalMs < 0)) {
      throw new Error('sandbox: a drip needs at least one byte per chunk and a gap of 0 ms or more');
    }
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
