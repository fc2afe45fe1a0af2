/**
 * A subscription to all events built on `readAll` pages: catch-up and live are the same loop,
 * so the switch between them cannot lose or repeat an event. Shared by the inMemory and SQLite
 * stores (and usable by any store whose positions obey the port's no-gap rule).
 */
import { isSagaError, ErrorCode } from '../core/errors.js';
import type { RecordedEvent, SubscribeToAllOptions, Subscription } from './eventStore.js';
import { HandlerScope } from './handlerScope.js';

/** Wakes waiting subscriptions when this store object appended something. */
export class ChangeSignal {
  private generationCount = 0;
  private readonly listeners = new Set<() => void>();

  /** Increases on every notify: a subscription compares it to know it missed a wake-up. */
  get generation(): number {
    return this.generationCount;
  }

  notify(): void {
    this.generationCount++;
    for (const listener of [...this.listeners]) listener();
  }

  on(listener: () => void): void {
    this.listeners.add(listener);
  }

  off(listener: () => void): void {
    this.listeners.delete(listener);
  }
}

/** One page of matching events after a position. */
export interface EventPage {
  events: RecordedEvent[];
  /**
   * Every position up to this one was examined (matching or not), so the next read may start
   * after it. Lets a prefix-filtered subscription skip the non-matching tail instead of
   * scanning it again on every poll. Must respect the no-gap rule.
   */
  scannedTo?: number;
}

export interface PollingSource {
  readPage(after: number, maxCount: number): Promise<EventPage>;
  signal: ChangeSignal;
  /** Poll even without a local wake-up (other processes append too); undefined: never. */
  pollIntervalMs?: number;
}

/** A running subscription the store can stop when it closes. */
export interface PollingSubscription extends Subscription {
  /** Stop for good, reporting `reason` to onError; resolves once the loop ended (unless called from a handler). */
  stop(reason: unknown): Promise<void>;
}

const PAGE_SIZE = 500;
const MAX_READ_RETRIES = 8;

/** Tells whether the code runs inside a handler of a given subscription (to avoid self-deadlock). */
const inHandler = new HandlerScope<object>();

/**
 * Starts the catch-up-then-live loop: read a page after the last delivered position, deliver
 * each event and await its handler, repeat; when a page comes back short, everything stored
 * was delivered (onCaughtUp, once) and the loop waits for a local append or the poll interval.
 */
export function startPollingSubscription(
  source: PollingSource,
  options: SubscribeToAllOptions,
  onEnd: (sub: PollingSubscription) => void,
): PollingSubscription {
  if (typeof options?.onEvent !== 'function') throw new TypeError('subscribeToAll needs an onEvent handler.');
  let stopped = false;
  let stopReason: unknown;
  let wake: (() => void) | undefined;
  const token = {};

  const wait = (seen: number, ms: number | undefined): Promise<void> => {
    if (stopped || source.signal.generation !== seen) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        if (timer) clearTimeout(timer);
        source.signal.off(done);
        wake = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      source.signal.on(done);
      wake = done;
    });
  };

  const run = async (): Promise<void> => {
    let after = options.after ?? 0;
    let caughtUp = false;
    let failures = 0;
    while (!stopped) {
      const seen = source.signal.generation;
      let page: EventPage;
      try {
        page = await source.readPage(after, PAGE_SIZE);
        failures = 0;
      } catch (error) {
        // A busy or briefly unreachable store is not the end of a subscription; anything else is.
        const transient = isSagaError(error) && error.code === ErrorCode.StoreUnavailable;
        if (!transient || ++failures > MAX_READ_RETRIES) throw error;
        await wait(source.signal.generation, Math.min(50 * 2 ** failures, 2_000));
        continue;
      }
      for (const event of page.events) {
        if (stopped) return;
        await inHandler.run(token, () => options.onEvent(event));
        after = event.position;
      }
      if (page.scannedTo !== undefined && page.scannedTo > after) after = page.scannedTo;
      if (page.events.length < PAGE_SIZE) {
        if (!caughtUp && !stopped) {
          caughtUp = true;
          inHandler.run(token, () => options.onCaughtUp?.());
        }
        await wait(seen, source.pollIntervalMs);
      }
    }
  };

  const loop = run()
    .then(
      () => stopReason,
      (error: unknown) => (stopped ? stopReason : error),
    )
    .then((reason) => {
      stopped = true;
      onEnd(sub);
      if (reason === undefined) return;
      if (options.onError) {
        try {
          options.onError(reason);
        } catch {
          // onError is the last resort: there is no one left to tell.
        }
      } else if (!isSagaError(reason) || reason.code !== ErrorCode.StoreClosed) {
        process.emitWarning(`sagaflow subscription stopped without an onError handler: ${String(reason)}`);
      }
    });

  const stop = async (reason: unknown): Promise<void> => {
    if (!stopped) {
      stopped = true;
      stopReason = reason;
      wake?.();
    }
    // A handler awaiting its own subscription's end would wait for itself forever.
    if (!inHandler.isInside(token)) await loop;
  };

  const sub: PollingSubscription = { stop, unsubscribe: () => stop(undefined) };
  return sub;
}
