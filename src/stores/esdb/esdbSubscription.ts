/**
 * `subscribeToAll` on EventStoreDB: a catch-up subscription with a server-side filter that
 * delivers each event once, in order, and resubscribes from the last delivered position when
 * the connection drops.
 *
 * Exactly once: the handler's promise settles before the next event is taken; the resume
 * point is the last event handed to the handler (or skipped by the filter), never one that
 * was merely received; a resubscription starts after it, and anything at or before it is
 * dropped in case the server sends it again.
 *
 * Caught up: the client reports the server's `caught_up` message as an event on the stream
 * object, possibly while events that came before it are still buffered unread. So the moment
 * is recorded as a count ("after N events") and `onCaughtUp` runs once N events have been
 * handled. It runs once per subscription, not again after a reconnect. Servers before 23.10
 * send no `caught_up`, so there it never runs.
 */
import { StoreUnavailableError } from '../../core/errors.js';
import type { RecordedEvent, SubscribeToAllOptions, Subscription } from '../eventStore.js';
import { HandlerScope } from '../handlerScope.js';
import type { AllSubscriptionHandle, EsdbClient, EsdbResolvedEvent } from './clientApi.js';
import type { EsdbConnection } from './connection.js';
import { toStoreError, unavailable } from './esdbErrors.js';
import { commitPosition, isVisible, toEsdbPosition, toRecordedEvent } from './mapping.js';

/** Resubscription after a dropped connection, with exponential backoff. */
export interface ReconnectOptions {
  /** Resubscriptions tried in a row after the subscription drops, before it gives up (onError); a confirmed subscription resets the count. @default 20 */
  maxAttempts?: number;
  /** @default 100 (milliseconds) */
  initialDelayMs?: number;
  /** @default 5000 (milliseconds) */
  maxDelayMs?: number;
}

export interface EsdbSubscriptionDeps {
  client: EsdbClient;
  connection: EsdbConnection;
  options: SubscribeToAllOptions;
  reconnect: ReconnectOptions;
  onStopped(subscription: EsdbAllSubscription): void;
}

/** Which subscription's handler the current call runs in: unsubscribe() from inside a handler must not wait for itself. */
const handlerScope = new HandlerScope<EsdbAllSubscription>();

/** Thrown inside the loop to tell a failure of the user's code from a failure of the connection. */
class HandlerFailure {
  constructor(readonly error: unknown) {}
}

export class EsdbAllSubscription implements Subscription {
  private stopped = false;
  private current: AllSubscriptionHandle | undefined;
  private wakeUp: (() => void) | undefined;
  private lastPosition: number;
  private caughtUpDone = false;
  private readonly loop: Promise<void>;

  constructor(private readonly deps: EsdbSubscriptionDeps) {
    this.lastPosition = deps.options.after ?? 0;
    this.loop = this.run().finally(() => deps.onStopped(this));
  }

  /** Stops delivering; resolves once no handler call is running (at once when called from a handler). */
  async unsubscribe(): Promise<void> {
    this.stop();
    if (!handlerScope.isInside(this)) await this.loop;
  }

  /** Stops and reports `error` to onError (the store closed under the subscription). */
  async stopWithError(error: unknown): Promise<void> {
    if (this.stopped) return;
    this.stop();
    if (!handlerScope.isInside(this)) await this.loop;
    this.deps.options.onError?.(error);
  }

  private stop(): void {
    this.stopped = true;
    void this.current?.cancel();
    this.wakeUp?.();
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.stop();
    this.deps.options.onError?.(error);
  }

  private async run(): Promise<void> {
    const { maxAttempts = 20 } = this.deps.reconnect;
    let failures = 0;
    // A position the server would not start from (not an event's): scan from the start instead, until we have delivered past it.
    let rejected: number | undefined;
    while (!this.stopped) {
      const outcome = await this.subscribeOnce(this.lastPosition === rejected, () => (failures = 0));
      if (this.stopped) return;
      if (outcome.kind === 'failed') return this.fail(outcome.error);
      if (outcome.kind === 'invalid_position') {
        rejected = this.lastPosition;
        continue;
      }
      failures += 1;
      if (failures > maxAttempts) {
        const context = { connection: this.deps.connection, client: this.deps.client, operation: 'subscribe to $all' };
        return this.fail(
          outcome.error === undefined
            ? new StoreUnavailableError(`EventStoreDB at ${this.deps.connection.redacted} kept ending the subscription.`)
            : unavailable(outcome.error, context),
        );
      }
      await this.sleep(this.backoff(failures));
    }
  }

  /** One subscription, until it ends: 'dropped' means resubscribe. */
  private async subscribeOnce(
    fromStart: boolean,
    onConfirmed: () => void,
  ): Promise<{ kind: 'dropped'; error?: unknown } | { kind: 'failed'; error: unknown } | { kind: 'invalid_position' }> {
    const { options } = this.deps;
    const from = fromStart || this.lastPosition === 0 ? 'start' : toEsdbPosition(this.lastPosition);
    const handle = this.deps.client.subscribeToAll(from, options.streamPrefix);
    this.current = handle;
    if (this.stopped) void handle.cancel();
    let received = 0;
    let handled = 0;
    let caughtUpAfter: number | undefined;
    const maybeCaughtUp = (): void => {
      if (this.caughtUpDone || caughtUpAfter === undefined || handled < caughtUpAfter || this.stopped) return;
      this.caughtUpDone = true;
      try {
        handlerScope.run(this, () => options.onCaughtUp?.());
      } catch (error) {
        this.fail(error);
      }
    };
    handle.onConfirmed(onConfirmed);
    handle.onCaughtUp(() => {
      caughtUpAfter ??= received + handle.buffered();
      maybeCaughtUp();
    });
    try {
      for await (const resolved of handle.events) {
        received += 1;
        if (this.stopped) break;
        await this.deliver(resolved);
        handled += 1;
        maybeCaughtUp();
      }
      return { kind: 'dropped' };
    } catch (error) {
      if (error instanceof HandlerFailure) return { kind: 'failed', error: error.error };
      const kind = this.deps.client.classifyError(error).kind;
      if (kind === 'invalid_position' && from !== 'start') return { kind: 'invalid_position' };
      if (kind === 'unavailable' || kind === 'other') return { kind: 'dropped', error };
      return { kind: 'failed', error: toStoreError(error, { connection: this.deps.connection, client: this.deps.client, operation: 'subscribe to $all' }) };
    } finally {
      await handle.cancel();
    }
  }

  private async deliver(resolved: EsdbResolvedEvent): Promise<void> {
    const event = resolved.event;
    if (event?.position === undefined) return;
    try {
      // Commit positions order $all; only delivered events must also have commit == prepare (toRecordedEvent checks).
      const position = commitPosition(event.position.commit, `${event.streamId}@${event.revision}`);
      if (position <= this.lastPosition) return;
      // The server filter is the main one; this guard keeps system events out whatever the server did.
      if (isVisible(event.streamId, event.type, this.deps.options.streamPrefix)) {
        const recorded: RecordedEvent = toRecordedEvent(resolved);
        await handlerScope.run(this, () => this.deps.options.onEvent(recorded));
      }
      this.lastPosition = position;
    } catch (error) {
      throw new HandlerFailure(error);
    }
  }

  private backoff(failures: number): number {
    const { initialDelayMs = 100, maxDelayMs = 5000 } = this.deps.reconnect;
    return Math.min(maxDelayMs, initialDelayMs * 2 ** (failures - 1));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
