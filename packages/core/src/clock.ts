/** Time, passed in so that waits and timeouts can be tested without sleeping. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds, or rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * A clock whose `sleep` moves time forward instead of waiting for it, so that waits, backoff and
 * deadlines run fast and deterministically (tests, rehearsals). `sleeps` records every wait. With
 * `realTimeScale`, each sleep also waits that fraction of its length in real time, which lets
 * servers in the same process make progress between polls (0.01: a 10 s wait takes 100 ms).
 */
export function virtualClock(
  options: { startMs?: number; realTimeScale?: number } = {},
): Clock & { sleeps: number[]; advance(ms: number): void } {
  let now = options.startMs ?? Date.UTC(2026, 0, 1);
  const scale = options.realTimeScale ?? 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
      await new Promise((resolve) => (scale > 0 ? setTimeout(resolve, ms * scale) : setImmediate(resolve)));
    },
  };
}
