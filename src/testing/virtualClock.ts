/**
 * A virtual clock for deterministic tests: time moves only when the test says so. Timers are
 * kept in order; `advanceToNext()` jumps to the earliest and fires it.
 */
import type { Clock } from '../runtime/clock.js';

/** A {@link Clock} whose time moves only when the test moves it; pass it as `EngineOptions.clock`. */
export interface VirtualClock extends Clock {
  /** Timers waiting. */
  pending(): number;
  /** Moves time to the earliest timer and fires it (and any due at the same time). False if none. */
  advanceToNext(): boolean;
  /** Moves time forward by `ms`, firing every timer that falls due. */
  advance(ms: number): void;
}

interface Timer {
  at: number;
  seq: number;
  fire(): void;
}

/**
 * Creates a virtual clock at `start`.
 *
 * @param start The initial time, in ms since the epoch. Default 1_767_225_600_000 (2026-01-01T00:00:00Z).
 */
export function createVirtualClock(start = 1_767_225_600_000): VirtualClock {
  let now = start;
  let seq = 0;
  const timers: Timer[] = [];

  function fireDue(): void {
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    while (timers.length > 0 && (timers[0] as Timer).at <= now) (timers.shift() as Timer).fire();
  }

  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const timer: Timer = {
          at: now + Math.max(0, ms),
          seq: seq++,
          fire: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = (): void => {
          const i = timers.indexOf(timer);
          if (i >= 0) timers.splice(i, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
      });
    },
    schedule(ms, fn) {
      const timer: Timer = { at: now + Math.max(0, ms), seq: seq++, fire: fn };
      timers.push(timer);
      return () => {
        const i = timers.indexOf(timer);
        if (i >= 0) timers.splice(i, 1);
      };
    },
    pending: () => timers.length,
    advanceToNext() {
      if (timers.length === 0) return false;
      now = Math.max(now, Math.min(...timers.map((t) => t.at)));
      fireDue();
      return true;
    },
    advance(ms) {
      now += ms;
      fireDue();
    },
  };
}
