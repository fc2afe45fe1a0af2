/**
 * Time and randomness are injected so that a virtual clock drives the tests. Step timeouts are
 * the exception: they bound real work, so they use real timers.
 */

/** The runtime's source of time: `EngineOptions.clock`; tests pass a virtual one. Units: ms. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fn` after `ms` unless cancelled: a timer without a promise or an AbortController.
   * Optional for custom clocks: `scheduleOn` falls back to `sleep`.
   */
  schedule?(ms: number, fn: () => void): () => void;
}

/** `clock.schedule`, or the same built from `clock.sleep` for clocks without it. Returns the cancel function. */
export function scheduleOn(clock: Clock, ms: number, fn: () => void): () => void {
  if (clock.schedule) return clock.schedule(ms, fn);
  const controller = new AbortController();
  clock.sleep(ms, controller.signal).then(fn, () => {});
  return () => controller.abort();
}

/** A source of numbers in [0, 1) for jitter. */
export type RandomSource = () => number;

/**
 * The longest delay `setTimeout` takes (2^31 - 1 ms, 24.8 days): above it Node fires at once.
 * A longer wait wakes at this bound instead; whoever waits finds it is not due yet and waits again.
 */
const MAX_TIMER_MS = 2_147_483_647;

function timerDelay(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, ms));
}

/** The real clock: `Date.now()` and `setTimeout`. The engine's default. */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule: (ms, fn) => {
    const timer = setTimeout(fn, timerDelay(ms));
    return () => clearTimeout(timer);
  },
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, timerDelay(ms));
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
