/**
 * The EventStoreDB (and KurrentDB) implementation of the event-store port.
 *
 * The server is the reference the port was modelled on, so most of the port maps directly:
 * expected revisions are the server's, idempotent re-appends are the server's, stream reads
 * are the server's. The adapter adds what the port promises beyond the server's API: one
 * number for positions (see mapping.ts), `$all` reads with a stream prefix, exactly-once
 * subscriptions that survive dropped connections, and errors that name what to check.
 */
import { ErrorCode, isSagaError, StoreClosedError, StoreUnavailableError, StoreUrlError } from '../../core/errors.js';
import {
  assertValidAppend,
  assertValidStreamName,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '../eventStore.js';
import {
  loadClient,
  otherClientLoaded,
  type Credentials,
  type EsdbAppendResult,
  type EsdbClient,
  type EsdbClientName,
  type EsdbPosition,
} from './clientApi.js';
import { parseEsdbUrl, type EsdbConnection } from './connection.js';
import { toStoreError, type ErrorContext } from './esdbErrors.js';
import { EsdbAllSubscription, type ReconnectOptions } from './esdbSubscription.js';
import { commitPosition, isVisible, toEsdbPosition, toRecordedEvent } from './mapping.js';

/** Options of {@link createEsdbEventStore}. */
export interface EsdbEventStoreOptions {
  /**
   * Where the server is: `esdb://host:2113?tls=false` (one node), `esdb+discover://host:2113`
   * (a cluster, through gossip), or the same with `kurrentdb://`. Every client option in the
   * query string and `user:password@` credentials are passed through; TLS is on unless
   * `tls=false`. The password never appears in errors.
   */
  connectionString: string;
  /**
   * The client package: `'eventstore'` (`@eventstore/db-client` 6.x) or `'kurrentdb'`
   * (`@kurrent/kurrentdb-client` 1.x, which loads a native bridge). By default the URL's
   * scheme decides: `esdb://` and `esdb+discover://` use 6.x, `kurrentdb://` and
   * `kurrentdb+discover://` the successor; either client takes either scheme.
   */
  client?: EsdbClientName;
  /** Largest event (data + metadata as JSON) accepted, in bytes. @default 1048576 */
  maxEventBytes?: number;
  /**
   * Append through the Append RPC even when the server offers BatchAppend. Both clients
   * share one long-lived BatchAppend stream per connection; Append is one short call per
   * append, which some proxies handle better. Needs credentials in the URL when TLS is on.
   * @default false
   */
  forceAppendPath?: boolean;
  /** How subscriptions resubscribe after a dropped connection. @default {} (each field's own default) */
  reconnect?: ReconnectOptions;
  /** Events per `$all` page of `readAll` (unfiltered pages with 6.x, matching events with the successor). @default 512 */
  readAllPageSize?: number;
}

/**
 * Connects to EventStoreDB and checks that it answers, so a wrong URL fails here and not at
 * the first append.
 * @throws {@link sagaflow!StoreUrlError} (`STORE_URL_INVALID`) when the URL is malformed or the
 *   options cannot be honoured (the other client is already loaded in this process;
 *   `forceAppendPath` under TLS without credentials).
 * @throws {@link sagaflow!StoreUnavailableError} (`STORE_UNAVAILABLE`) when the server cannot be
 *   reached (the message says what to check).
 * @throws {@link sagaflow!DriverNotInstalledError} (`DRIVER_NOT_INSTALLED`) when the client package
 *   (or `@grpc/grpc-js`, `google-protobuf`) is not installed.
 */
export async function createEsdbEventStore(options: EsdbEventStoreOptions): Promise<EventStore> {
  const connection = parseEsdbUrl(options.connectionString, options.client);
  if (options.forceAppendPath && connection.tls && connection.credentials === undefined) {
    throw new StoreUrlError(
      `forceAppendPath needs user:password@ in the URL ${connection.redacted} when TLS is on: the client takes the Append path only for calls that carry credentials.`,
      { details: { url: connection.redacted } },
    );
  }
  const other = otherClientLoaded(connection.client);
  if (other !== undefined) {
    throw new StoreUrlError(
      `Cannot use the ${connection.client} client for ${connection.redacted}: this process already loaded the ${other} client, and the two packages cannot share a process (their generated protobuf code shares one global namespace). Use one client per process: choose it with the URL scheme (esdb:// or kurrentdb://) or the 'client' option.`,
      { details: { url: connection.redacted, client: connection.client, loaded: other } },
    );
  }
  let connect: (url: string) => EsdbClient;
  try {
    connect = await loadClient(connection.client);
  } catch (error) {
    // The package to install is already named; anything else (a native bridge missing for this platform) is explained here.
    if (isSagaError(error) && error.code === ErrorCode.DriverNotInstalled) throw error;
    const packageName = connection.client === 'kurrentdb' ? '@kurrent/kurrentdb-client' : '@eventstore/db-client';
    throw new StoreUnavailableError(
      `Cannot load ${packageName} for ${connection.redacted}: ${error instanceof Error ? error.message : String(error)}. Check that it is installed (with its native bridge for this platform, for @kurrent/kurrentdb-client), or choose the other client with the 'client' option or the URL scheme.`,
      { cause: error, details: { url: connection.redacted } },
    );
  }
  let client: EsdbClient;
  try {
    client = connect(connection.clientUrl);
  } catch (error) {
    const reason = connection.redact(error instanceof Error ? error.message : String(error));
    throw new StoreUrlError(`Invalid EventStoreDB URL ${connection.redacted}: ${reason}`, { details: { url: connection.redacted } });
  }
  const store = new EsdbEventStore(client, connection, options);
  try {
    await store.checkConnection();
  } catch (error) {
    await client.dispose().catch(() => {});
    throw error;
  }
  return store;
}

class EsdbEventStore implements EventStore {
  readonly kind = 'esdb';
  private closed = false;
  private readonly subscriptions = new Set<EsdbAllSubscription>();
  /** Per-call credentials steer either client onto the Append RPC (and are ignored without TLS). */
  private readonly appendCredentials: Credentials | undefined;

  constructor(
    private readonly client: EsdbClient,
    private readonly connection: EsdbConnection,
    private readonly options: EsdbEventStoreOptions,
  ) {
    this.appendCredentials = options.forceAppendPath ? (connection.credentials ?? { username: 'sagaflow', password: 'insecure' }) : undefined;
  }

  async append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.ensureOpen();
    assertValidAppend(streamId, events, expected, this.options.maxEventBytes);
    const context: ErrorContext = { connection: this.connection, client: this.client, operation: `append to ${streamId}`, streamId, expected };
    let result: EsdbAppendResult;
    try {
      result = await this.retryDroppedConnection(() => this.client.append(streamId, events, expected, this.appendCredentials));
    } catch (error) {
      throw toStoreError(error, context);
    }
    const nextRevision = Number(result.nextExpectedRevision);
    // Idempotent re-appends come back without a position on some servers: read the original one.
    const position = result.position ? commitPosition(result.position.commit, `${streamId}@${nextRevision}`) : await this.positionOf(streamId, nextRevision);
    return { nextRevision, position };
  }

  /** One cheap read (of a stream that need not exist), to learn whether the server answers. */
  async checkConnection(): Promise<void> {
    await this.readEvents('sagaflow-connection-check', { maxCount: 1 }, 'connect');
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.ensureOpen();
    assertValidStreamName(streamId);
    return this.readEvents(streamId, options, `read ${streamId}`);
  }

  private async readEvents(streamId: string, options: ReadStreamOptions, operation: string): Promise<RecordedEvent[]> {
    checkCount('fromRevision', options.fromRevision);
    checkCount('maxCount', options.maxCount);
    if (options.maxCount === 0) return [];
    const request = { backwards: options.direction === 'backwards', fromRevision: options.fromRevision, maxCount: options.maxCount };
    const read = async (): Promise<RecordedEvent[]> => {
      const events: RecordedEvent[] = [];
      const convert = deferFailure();
      for await (const resolved of this.client.readStream(streamId, request)) {
        convert(() => resolved.event !== undefined && events.push(toRecordedEvent(resolved)));
      }
      convert.rethrow();
      return events;
    };
    try {
      return await this.retryDroppedConnection(read);
    } catch (error) {
      if (this.client.classifyError(error).kind === 'stream_not_found') return [];
      throw toStoreError(error, { connection: this.connection, client: this.client, operation, streamId });
    }
  }

  /**
   * Pages through `$all` forwards and keeps the matching events. The successor client filters
   * on the server (prefix, or no system events), so its pages hold matching events only; the
   * 6.x client's `readAll` cannot filter (subscriptions do), so its pages are filtered here.
   * Either way each event is checked here too. Starts at the event at `after`, which is
   * dropped, or from the start when that position is not an event's.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.ensureOpen();
    const after = options.after ?? 0;
    checkCount('after', after);
    checkCount('maxCount', options.maxCount);
    const limit = options.maxCount ?? Number.POSITIVE_INFINITY;
    const pageSize = this.options.readAllPageSize ?? 512;
    const context: ErrorContext = { connection: this.connection, client: this.client, operation: 'read $all' };
    const events: RecordedEvent[] = [];
    let from: EsdbPosition | 'start' = after > 0 ? toEsdbPosition(after) : 'start';
    // Pages start at the previous page's last event (reads from a position include it).
    let lastRead = 0;
    while (events.length < limit) {
      let seen = 0;
      const page = async (): Promise<void> => {
        seen = 0;
        const convert = deferFailure();
        for await (const resolved of this.client.readAllForwards(from, pageSize, options.streamPrefix)) {
          seen += 1;
          const event = resolved.event;
          const commit = event?.position?.commit;
          if (event === undefined || commit === undefined) continue;
          // `lastRead` also makes a retried page skip what it already took.
          convert(() => {
            // Commit positions order $all; only events we return must also have commit == prepare.
            const position = commitPosition(commit, `${event.streamId}@${event.revision}`);
            if (position <= lastRead) return;
            lastRead = position;
            if (position > after && isVisible(event.streamId, event.type, options.streamPrefix) && events.length < limit)
              events.push(toRecordedEvent(resolved));
          });
        }
        convert.rethrow();
      };
      try {
        await this.retryDroppedConnection(page);
      } catch (error) {
        // A position that is not an event's: the server refuses to start there, so scan from the start.
        if (from !== 'start' && this.client.classifyError(error).kind === 'invalid_position') {
          from = 'start';
          continue;
        }
        throw toStoreError(error, context);
      }
      // A short page is the end of $all (filtered reads count matching events, as the server's filtered read does).
      if (seen < pageSize) break;
      from = toEsdbPosition(lastRead);
    }
    return events;
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    this.ensureOpen();
    checkCount('after', options.after);
    const subscription = new EsdbAllSubscription({
      client: this.client,
      connection: this.connection,
      options,
      reconnect: this.options.reconnect ?? {},
      onStopped: (stopped) => this.subscriptions.delete(stopped),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closedError = new StoreClosedError(`The EventStoreDB store for ${this.connection.redacted} was closed.`);
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stopWithError(closedError)));
    await this.client.dispose().catch(() => {});
  }

  private ensureOpen(): void {
    if (this.closed) {
      throw new StoreClosedError(`The EventStoreDB store for ${this.connection.redacted} is closed; create a new one with createEsdbEventStore().`);
    }
  }

  private retryDroppedConnection<T>(attempt: () => Promise<T>): Promise<T> {
    return retryDroppedConnection(attempt, () => !this.closed, this.client);
  }

  private async positionOf(streamId: string, revision: number): Promise<number> {
    const [event] = await this.readStream(streamId, { fromRevision: revision, maxCount: 1 });
    return event?.position ?? 0;
  }
}

function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
    throw new TypeError(`Invalid ${name} ${String(value)}: use an integer >= 0.`);
  }
}

/** Pauses before retrying a call that lost its connection, in milliseconds. */
const DROPPED_CONNECTION_RETRY_DELAYS = [20, 100];

/**
 * Both clients replace a broken channel only once a call on it has failed, and calls already
 * routed to the old channel fail as well ("Channel closed before call started"; the
 * successor's read bridge answers UnavailableError once). Two quick retries ride over that
 * window. Appends may be retried: the same event ids at the same
 * expected revision are idempotent. Longer outages surface as StoreUnavailableError.
 */
async function retryDroppedConnection<T>(attempt: () => Promise<T>, isOpen: () => boolean, client: EsdbClient): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      const delay = DROPPED_CONNECTION_RETRY_DELAYS[retry];
      if (delay === undefined || !isOpen() || !client.isDroppedConnection(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Runs conversions and keeps the first failure for later. A read must be consumed to its end
 * even when an event cannot be converted: the 6.x client's `dispose()` waits for every read it
 * started, and one abandoned halfway never finishes.
 */
function deferFailure(): ((step: () => unknown) => void) & { rethrow(): void } {
  let failure: { error: unknown } | undefined;
  const run = (step: () => unknown): void => {
    if (failure !== undefined) return;
    try {
      step();
    } catch (error) {
      failure = { error };
    }
  };
  return Object.assign(run, {
    rethrow: () => {
      if (failure !== undefined) throw failure.error;
    },
  });
}
