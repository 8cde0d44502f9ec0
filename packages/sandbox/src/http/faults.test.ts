import { describe, expect, it } from 'vitest';
import type { SandboxRequest } from './exchange.js';
import { FaultInjector } from './faults.js';

const request = (path: string) => ({ method: 'GET', path }) as SandboxRequest;

describe('FaultInjector', () => {
  describe('when a rule skips matching requests first', () => {
    it('lets that many through, then faults the next ones, then stops', () => {
      const faults = new FaultInjector();
      faults.arm({ path: '/p2/acme/hello.json', skip: 2, times: 2, fault: { status: 503 } });
      const outcomes = [1, 2, 3, 4, 5].map(() => faults.take(request('/p2/acme/hello.json')) !== undefined);
      expect(outcomes).toEqual([false, false, true, true, false]);
      // Other paths are never affected.
      expect(faults.take(request('/jobs/1'))).toBeUndefined();
    });

    it('refuses a skip that is not a whole number', () => {
      expect(() => new FaultInjector().arm({ path: '/x', skip: -1, fault: { status: 500 } })).toThrow(/skip/);
    });
  });
});
