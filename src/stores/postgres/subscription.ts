/**
 * Subscriptions: catch-up reads by position deliver; LISTEN/NOTIFY only wakes them up.
 *
 * Delivery never depends on a notification arriving: a subscription reads "position > last
 * delivered" until it is caught up, then sleeps until a notification, the fallback poll timer
 * or a listener reconnect wakes it. A notification lost while the server restarted is
 * therefore harmless, and so is a duplicate one. Exactly-once follows from every page being a
 * prefix of the final log (the read watermark, see readPage in postgresEventStore.ts).
 */
import pg from 'pg';
import { StoreClosedError } from '../../core/errors.js';
import type { RecordedEvent, SubscribeToAllOptions, Subscription } from '../eventStore.js';
import { HandlerScope } from '../handlerScope.js';
import { isRetryable, sleep } from './connectionErrors.js';

/** A page of the log, plus how far it was scanned (beyond the last event when filtered). */
export interface LogPage {
  events: RecordedEvent[];
  scannedTo: number;
  /** Committed events wait behind an append in flight with a lower position: read again soon. */
  heldBack: boolean;
}

/** One dedicated connection LISTENing to the store's channel, reconnecting when it drops. */
export class NotificationListener {
  private client: pg.Client | undefined;
  private readonly wakers = new Set<() => void>();
  private stopped = false;
  private connecting: Promise<void> | undefined;

  /**
   * `config` is asked before every (re)connect: with a multi-host URL it names the primary of
   * the moment. `failed` hears why a connect or LISTEN failed (so the primary is looked up again).
   */
  constructor(
    private readonly config: () => Promise<pg.ClientConfig>,
    private readonly channel: string,
    private readonly failed: (error: unknown) => void = () => undefined,
  ) {}

  /** Registers a wake-up callback; the first one starts listening. Returns the unregister function. */
  add(wake: () => void): () => void {
    this.wakers.add(wake);
    if (!this.client && !this.connecting) this.connecting = this.connectLoop();
    return () => this.wakers.delete(wake);
  }

  private wakeAll(): void {
    for (const wake of this.wakers) wake();
  }

  private async connectLoop(): Promise<void> {
    let delay = 100;
    while (!this.stopped) {
      let client: pg.Client | undefined;
      try {
        client = new pg.Client(await this.config());
        // Without a listener a dropped socket would crash the process; the 'end' handler reconnects.
        client.on('error', () => undefined);
        await client.connect();
        await client.query(`LISTEN "${this.channel}"`);
      } catch (error) {
        this.failed(error);
        await client?.end().catch(() => undefined);
        await sleep(delay / 2 + Math.random() * (delay / 2));
        delay = Math.min(delay * 2, 2000);
        continue;
      }
      if (this.stopped) {
        await client.end().catch(() => undefined);
        break;
      }
      this.client = client;
      client.on('notification', () => this.wakeAll());
      client.once('end', () => {
        this.client = undefined;
        if (!this.stopped) this.connecting = this.connectLoop();
      });
      // Anything committed while we were not listening was not notified: catch up now.
      this.wakeAll();
      break;
    }
    this.connecting = undefined;
  }

  /** Stops listening and closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.connecting;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}

/** What a subscription needs from the store. */
export interface SubscriptionSource {
  readPage(after: number, streamPrefix: string | undefined, limit: number): Promise<LogPage>;
  listener: NotificationListener;
  /** Fallback poll when no notification comes (lost, or LISTEN unavailable). */
  pollIntervalMs: number;
  /** How long the server may be unreachable before the subscription gives up with onError. */
  retryBudgetMs: number;
  /** Turns the last connection error into the error passed to onError. */
  unavailable(error: unknown): Error;
}

const PAGE_SIZE = 500;
/** How long events held back by an append in flight delay onCaughtUp, in ms. */
const HELD_BACK_CAUGHT_UP_MS = 1_000;
/** Slowest re-read while events are held back, in ms. */
const HELD_BACK_MAX_POLL_MS = 100;

/** Which subscription's handler is running, so `unsubscribe()` from inside a handler does not wait for itself. */
const handlerContext = new HandlerScope<CatchUpSubscription>();

/** A running subscription: reads pages, awaits the handler per event, idles when caught up. */
export class CatchUpSubscription implements Subscription {
  private stopped = false;
  private dirty = false;
  private wakeWaiter: (() => void) | undefined;
  private readonly done: Promise<void>;
  private readonly unregister: () => void;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly options: SubscribeToAllOptions,
    private readonly onStopped: (sub: CatchUpSubscription) => void,
  ) {
    this.unregister = source.listener.add(() => this.wake());
    // A throwing onCaughtUp (or any bug) ends the subscription through onError, never as an unhandled rejection.
    this.done = this.run().catch((error: unknown) => this.fail(error));
  }

  private wake(): void {
    this.dirty = true;
    this.wakeWaiter?.();
  }

  private async idle(ms: number): Promise<void> {
    if (this.dirty || this.stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeWaiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeWaiter = undefined;
  }

  private async run(): Promise<void> {
    let after = this.options.after ?? 0;
    let caughtUp = false;
    let failingSince: number | undefined;
    let heldSince: number | undefined;
    let heldDelay = 2;
    while (!this.stopped) {
      let page: LogPage;
      this.dirty = false; // set again by any notification that arrives while we read
      try {
        page = await this.source.readPage(after, this.options.streamPrefix, PAGE_SIZE);
        failingSince = undefined;
      } catch (error) {
        failingSince ??= Date.now();
        if (!isRetryable(error) || Date.now() - failingSince >= this.source.retryBudgetMs) {
          return this.fail(isRetryable(error) ? this.source.unavailable(error) : error);
        }
        await this.idle(100 + Math.random() * 400); // a listener reconnect (server back) cuts it short
        continue;
      }
      for (const event of page.events) {
        if (this.stopped) return;
        try {
          await handlerContext.run(this, () => this.options.onEvent(event));
        } catch (error) {
          return this.fail(error);
        }
        after = event.position;
      }
      if (this.stopped) return;
      after = Math.max(after, page.scannedTo);
      if (page.events.length < PAGE_SIZE) {
        if (page.heldBack) {
          // The append in flight that holds them back may send no notification (it may not
          // be ours, or roll back): poll soon. Caught up only once they are delivered, or
          // when the hold lasts (a long transaction elsewhere in the database).
          heldSince ??= Date.now();
          if (caughtUp || Date.now() - heldSince < HELD_BACK_CAUGHT_UP_MS) {
            await this.idle(Math.min(heldDelay, this.source.pollIntervalMs));
            heldDelay = Math.min(heldDelay * 2, HELD_BACK_MAX_POLL_MS);
            continue;
          }
        }
        heldSince = undefined;
        heldDelay = 2;
        if (!caughtUp) {
          caughtUp = true;
          this.options.onCaughtUp?.();
        }
        if (page.heldBack) continue;
        await this.idle(this.source.pollIntervalMs);
      }
    }
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unregister();
    this.onStopped(this);
    this.options.onError?.(error);
  }

  /** Stops delivery; resolves once no handler call is running. */
  async unsubscribe(): Promise<void> {
    this.stopped = true;
    this.unregister();
    this.onStopped(this);
    this.wakeWaiter?.();
    if (!handlerContext.isInside(this)) await this.done;
  }

  /** The store is closing: stop, and tell the subscriber it stopped for good. */
  async closeWithStore(): Promise<void> {
    const wasRunning = !this.stopped;
    await this.unsubscribe();
    if (wasRunning) this.options.onError?.(new StoreClosedError('The PostgreSQL event store was closed; the subscription stopped.'));
  }
}
