/**
 * The PostgreSQL event store: the port over `pg`, with the open-stream index.
 * Fencing and idempotency live in the append_batch function (appendFunctionSql.ts), group
 * commit in appendBatcher.ts, the read watermark in readPage below, subscriptions in
 * subscription.ts, the open-stream index in openStreamsTable.ts.
 */
import pg from 'pg';
import { StoreClosedError } from '../../core/errors.js';
import { DEFAULT_INFRASTRUCTURE_POLICY, type InfrastructurePolicy } from '../../core/infrastructurePolicy.js';
import {
  assertValidAppend,
  encodeEvents,
  assertValidStreamName,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type Json,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type StoreRetry,
  type Subscription,
} from '../eventStore.js';
import type { ClaimOpenStreamsOptions, OpenStreamIndex, OpenStreamPlanner, OpenStreamsPage } from '../openStreamIndex.js';
import { AppendBatcher } from './appendBatcher.js';
import { type StreamRead, StreamReadBatcher } from './streamReadBatcher.js';
import { appendBatch, appendFailure, type AppendOutcome, type AppendRequest, type AppendTarget } from './appendEvents.js';
import { MAX_EVENTS_PER_TRANSACTION } from './appendFunctionSql.js';
import { isRetryable, sleep, unavailable, withRetry } from './connectionErrors.js';
import { connectionTarget, type ConnectionTarget } from './connectionTarget.js';
import type { PostgresHost } from './hostList.js';
import { assertMigrated, DEFAULT_SCHEMA, notifyChannel, quoteSchema, runMigration } from './migration.js';
import { adoptOpenStreams, claimOpenStreams, listOpenStreams, type RunQuery } from './openStreamsTable.js';
import { CatchUpSubscription, NotificationListener, type LogPage } from './subscription.js';
import { WakeUpNotifier } from './wakeUpNotifier.js';
import { createPostgresWorkerLiveness, type PostgresWorkerLiveness } from './workerLiveness.js';

/**
 * How long readAll waits for appends in flight below the watermark (lower positions, not yet
 * committed) before returning the settled prefix only. In ms.
 */
const SETTLE_WAIT_MS = 1_000;

/** Options of {@link createPostgresEventStore}. */
export interface PostgresEventStoreOptions {
  /**
   * `postgres://user:password@host:port/database`, or with several hosts,
   * `postgres://user:password@db1:5432,db2:5432/database`: the store then writes to whichever
   * is the primary and follows a failover (primaryLocator.ts). The password never appears in errors.
   */
  connectionString: string;
  /**
   * The servers, replacing the host part of `connectionString` (which keeps the user, password,
   * database and options): several hosts, as in a multi-host URL. @default the URL's host(s)
   */
  hosts?: readonly {
    /** A host name or IP address. */
    host: string;
    /** Its TCP port. @default 5432 */
    port?: number;
  }[];
  /** Schema holding the store's tables and views; created by the migration. @default 'sagaflow' */
  schema?: string;
  /** Largest event (data + metadata as UTF-8 JSON) accepted, in bytes. @default 1 MiB */
  maxEventBytes?: number;
  /** `pg.Pool` options (max, idleTimeoutMillis, ssl, ...). @default { max: 10, connectionTimeoutMillis: 5000 } */
  pool?: Omit<pg.PoolConfig, 'connectionString'>;
  /** How long an operation retries a dropped or refused connection before StoreUnavailableError, in ms. @default 10000 */
  retryBudgetMs?: number;
  /** The backoff of those retries (each reported to `observeRetries`). @default the infrastructure policy with maxDelayMs 1000 */
  retryPolicy?: Partial<InfrastructurePolicy>;
  /** Fallback poll of live subscriptions when no notification arrives, in ms. @default 5000 */
  pollIntervalMs?: number;
  /** How long a subscription rides out an unreachable server before onError, in ms. @default 60000 */
  subscriptionRetryMs?: number;
  /** Run the migration on open (under an advisory lock). Set false when a DBA applies `postgresMigrationSql()`. @default true */
  migrate?: boolean;
}

/** The open-stream index of the PostgreSQL store: with claims (FOR UPDATE SKIP LOCKED, a claim lease). */
export interface PostgresOpenStreamIndex extends OpenStreamIndex {
  claim(options: ClaimOpenStreamsOptions): Promise<OpenStreamsPage>;
}

/** The PostgreSQL store: the port, with its open-stream index. */
export interface PostgresEventStore extends EventStore {
  readonly kind: 'postgres';
  /** The schema this store uses. */
  readonly schema: string;
  readonly openStreams: PostgresOpenStreamIndex;
}

interface EventRow {
  event_id: string;
  stream_id: string;
  revision: string;
  position: string;
  type: string;
  data: Json;
  metadata: Record<string, Json>;
  recorded_at: Date;
}

const COLUMNS = 'event_id, stream_id, revision, position, type, data, metadata, recorded_at';

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamId: row.stream_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    revision: Number(row.revision),
    position: Number(row.position),
    recordedAt: row.recorded_at.toISOString(),
  };
}

class PgEventStore implements PostgresEventStore {
  readonly kind = 'postgres';
  private closed: Promise<void> | undefined;
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly target: AppendTarget;
  private readonly retryObservers = new Set<(retry: StoreRetry) => void>();
  /** The runtime's infrastructure policy, capped at 1 s inside one call (a call should come back soon after the server does). */
  private readonly retryPolicy: InfrastructurePolicy;
  private readonly batcher: AppendBatcher;
  private readonly notifier: WakeUpNotifier;
  /** Multi-host only: finds the primary, and is told when it may have moved. */
  private readonly locator: ConnectionTarget['locator'];
  /** The servers, for messages (multi-host or the `hosts` option); undefined: the URL's one host. */
  private readonly hosts: readonly PostgresHost[] | undefined;
  /**
   * Which failures a call retries. Multi-host adds 25006 (read-only transaction): a server that
   * turned standby under us, after which the locator finds the new primary.
   */
  private readonly retryable: (error: unknown) => boolean;
  /** The open-stream index's planner; appends before `usePlanner` change no entry. */
  private planner: OpenStreamPlanner | undefined;
  readonly openStreams: PostgresOpenStreamIndex;
  /** Whole-stream reads asked at the same moment, sent as one statement (streamReadBatcher.ts). */
  private readonly reads: StreamReadBatcher<EventRow>;
  /** One advisory-locked session per worker of this process, and the watches of others (workerLiveness.ts). */
  readonly workerLiveness: PostgresWorkerLiveness;

  constructor(
    private readonly pool: pg.Pool,
    private readonly listener: NotificationListener,
    readonly schema: string,
    private readonly options: PostgresEventStoreOptions,
    connection: ConnectionTarget,
  ) {
    this.locator = connection.locator;
    this.hosts = connection.hostList?.hosts;
    this.retryable = this.locator ? (error) => isRetryable(error) || (error as { code?: unknown } | null)?.code === '25006' : isRetryable;
    this.target = { schema: quoteSchema(schema), schemaName: schema, channel: notifyChannel(schema) };
    this.retryPolicy = { ...DEFAULT_INFRASTRUCTURE_POLICY, maxDelayMs: 1_000, ...options.retryPolicy };
    this.notifier = new WakeUpNotifier(pool, this.target.channel);
    this.workerLiveness = createPostgresWorkerLiveness({ pool, schema: this.target.schema, clientConfig: () => connection.listenConfig() });
    this.batcher = new AppendBatcher({
      runBatch: (batch) => this.withClient((client) => appendBatch(client, this.target, batch, this.planner)),
      runOne: (request) => this.appendOne(request),
      committed: () => this.notifier.poke(),
    });
    this.reads = new StreamReadBatcher<EventRow>({
      one: async ({ streamId, fromRevision, maxCount, backwards }) =>
        (
          await this.pool.query<EventRow>(
            `SELECT ${COLUMNS} FROM ${this.target.schema}.events
              WHERE stream_id = $1 AND ($2::bigint IS NULL OR revision ${backwards ? '<=' : '>='} $2)
              ORDER BY revision ${backwards ? 'DESC' : 'ASC'} LIMIT $3`,
            [streamId, fromRevision, maxCount],
          )
        ).rows,
      many: async (reads, backwards) =>
        (
          await this.pool.query<EventRow & { q: string }>(
            `SELECT r.q, e.* FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS r(stream_id, from_revision, max_count, q)
              CROSS JOIN LATERAL (
                SELECT ${COLUMNS} FROM ${this.target.schema}.events x
                 WHERE x.stream_id = r.stream_id AND (r.from_revision IS NULL OR x.revision ${backwards ? '<=' : '>='} r.from_revision)
                 ORDER BY x.revision ${backwards ? 'DESC' : 'ASC'} LIMIT r.max_count) e
              ORDER BY r.q, e.revision ${backwards ? 'DESC' : 'ASC'}`,
            [reads.map((r) => r.streamId), reads.map((r) => r.fromRevision), reads.map((r) => r.maxCount)],
          )
        ).rows,
    });
    const run: RunQuery = (text, values) => this.onPrimary(() => this.pool.query(text, values));
    const s = this.target.schema;
    this.openStreams = {
      usePlanner: (planner) => {
        this.planner = planner;
      },
      list: ({ streamPrefix, limit, after = 0 }) => {
        this.ensureOpen();
        return this.retrying('listing open streams', () => listOpenStreams(run, s, after, streamPrefix, Math.max(1, Math.floor(limit))));
      },
      claim: ({ streamPrefix, limit, owner, leaseMs, after = 0, expiredOnly = false, now }) => {
        this.ensureOpen();
        const options = { after, prefix: streamPrefix, limit: Math.max(1, Math.floor(limit)), owner, leaseMs, expiredOnly, now };
        return this.retrying('claiming open streams', () => claimOpenStreams(run, s, options));
      },
      adopt: (open, scannedTo) => {
        this.ensureOpen();
        return this.retrying('adopting open streams', () => adoptOpenStreams(run, s, open, scannedTo));
      },
    };
  }

  /**
   * Runs `work` against the primary. Multi-host: the locator is asked first (cheap once it
   * knows), and a failure that suggests a failover makes the next call ask the hosts again.
   */
  private async onPrimary<T>(work: () => Promise<T>): Promise<T> {
    if (!this.locator) return work();
    await this.locator.located();
    try {
      return await work();
    } catch (error) {
      this.locator.suspect(error);
      throw error;
    }
  }

  /** Runs `work` on a pooled connection; a connection that failed is destroyed, not reused. */
  private withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.onPrimary(async () => {
      const client = await this.pool.connect();
      // A checked-out client has no pool listener: a dropped socket would be an uncaught error.
      const ignore = (): void => undefined;
      client.on('error', ignore);
      let broken: Error | undefined;
      try {
        return await work(client);
      } catch (error) {
        if (this.retryable(error)) broken = error instanceof Error ? error : new Error(String(error));
        throw error;
      } finally {
        client.off('error', ignore);
        client.release(broken);
      }
    });
  }

  /**
   * One append in its own call. A retry after a dropped connection is safe: if the first
   * attempt did commit, the event ids are found at the expected revision and the original
   * result comes back. A unique violation on event_id means another transaction stored one of
   * the ids after the function's check: run again, and the check reports it (or, for a racing
   * retry of this very append, the idempotent result).
   */
  private appendOne(request: AppendRequest): Promise<AppendOutcome> {
    return this.retrying(`appending to ${request.streamId}`, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const [outcome] = await this.withClient((client) => appendBatch(client, this.target, [request], this.planner));
          if (!outcome) throw new Error(`append_batch returned no outcome for ${request.streamId}`);
          return outcome;
        } catch (error) {
          const failure = appendFailure(request, error);
          if (!failure) throw error;
          if (attempt >= 3) return { ok: false, error: failure };
        }
      }
    });
  }

  private ensureOpen(): void {
    if (this.closed) throw new StoreClosedError('The PostgreSQL event store is closed.');
  }

  private retrying<T>(doing: string, operation: () => Promise<T>): Promise<T> {
    return withRetry(
      operation,
      {
        budgetMs: this.options.retryBudgetMs ?? 10_000,
        stopped: () => this.closed !== undefined,
        policy: this.retryPolicy,
        retryable: this.retryable,
        onRetry: (error, attempt, delayMs) => {
          for (const observer of this.retryObservers) observer({ doing, error, attempt, delayMs });
        },
      },
      (error) => unavailable(this.options.connectionString, error, doing, this.hosts),
    );
  }

  observeRetries(observer: (retry: StoreRetry) => void): () => void {
    this.retryObservers.add(observer);
    return () => void this.retryObservers.delete(observer);
  }

  async append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.ensureOpen();
    // Encoded once: the size check measures the JSON the statement then sends.
    const encoded = encodeEvents(events);
    assertValidAppend(streamId, events, expected, this.options.maxEventBytes, encoded);
    if (events.length > MAX_EVENTS_PER_TRANSACTION) {
      // Positions keep 12 bits for the event's ordinal in its transaction.
      throw new RangeError(
        `Append to ${streamId} has ${events.length} events; the PostgreSQL store takes at most ${MAX_EVENTS_PER_TRANSACTION} in one append. Split it into several appends.`,
      );
    }
    return this.batcher.append({ streamId, events, expected, encoded });
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.ensureOpen();
    assertValidStreamName(streamId);
    const read: StreamRead = {
      streamId,
      fromRevision: options.fromRevision ?? null,
      maxCount: options.maxCount ?? null,
      backwards: options.direction === 'backwards',
    };
    const rows = await this.retrying(`reading ${streamId}`, () => this.onPrimary(() => this.reads.read(read)));
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.ensureOpen();
    const after = options.after ?? 0;
    const read = (): Promise<LogPage> => this.retrying('reading all events', () => this.readPage(after, options.streamPrefix, options.maxCount));
    let page = await read();
    // Committed events above the watermark wait for an append in flight with a lower position
    // (usually milliseconds): wait a little, so that a reader sees what was acknowledged
    // before it asked; past SETTLE_WAIT_MS return the settled prefix (never a gap).
    const full = (p: LogPage): boolean => options.maxCount !== undefined && p.events.length >= options.maxCount;
    const deadline = Date.now() + SETTLE_WAIT_MS;
    for (let delay = 1; page.heldBack && !full(page) && Date.now() < deadline && !this.closed; delay = Math.min(delay * 2, 50)) {
      await sleep(delay);
      page = await read();
    }
    return page.events;
  }

  /**
   * One statement, hence one snapshot: the events after `after` below the watermark
   * W = (snapshot xmin + xid_offset) << 12. Every transaction that can still commit has an
   * xid >= xmin, hence positions >= W: what is returned is a prefix of the final log, and every
   * position below W is settled, so a filtered subscription may skip to W - 1 instead of
   * rescanning other streams' events. `heldBack`: committed events exist at or above W (an
   * append with a lower xid is still in flight), so reading again soon returns more. Asked as
   * max(position) >= W, which is one step down the primary key's index: `EXISTS (... WHERE
   * position >= W)` looks the same, but W is unknown when the statement is planned, and the
   * planner chose a sequential scan of the whole log, on every read (28 ms at 300,000 events).
   * `LIMIT 1` on log_epoch (one row, but never analyzed: estimated at 2,200) keeps the
   * estimated cost small; it was over jit_above_cost, and JIT-compiling each read took ~25 ms.
   */
  private async readPage(after: number, streamPrefix: string | undefined, limit: number | undefined): Promise<LogPage> {
    const s = this.target.schema;
    const { rows } = await this.onPrimary(() =>
      this.pool.query<EventRow & { below: string; held: boolean }>(
        `WITH w AS MATERIALIZED (
         SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint + xid_offset) << 12 AS below FROM ${s}.log_epoch LIMIT 1),
       h AS MATERIALIZED (SELECT w.below, coalesce((SELECT max(x.position) FROM ${s}.events x), -1) >= w.below AS held FROM w)
       SELECT e.*, h.below, h.held FROM h LEFT JOIN LATERAL (
         SELECT ${COLUMNS} FROM ${s}.events
          WHERE position > $1 AND position < h.below AND ($2::text IS NULL OR starts_with(stream_id, $2))
          ORDER BY position LIMIT $3) e ON true`,
        [after, streamPrefix ?? null, limit ?? null],
      ),
    );
    const events = rows.filter((row) => row.event_id !== null).map(toRecorded);
    const full = limit !== undefined && events.length >= limit;
    const below = Number(rows[0]?.below ?? 0);
    const scannedTo = full ? (events[events.length - 1]?.position ?? after) : Math.max(after, below - 1);
    return { events, scannedTo, heldBack: rows[0]?.held === true };
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    this.ensureOpen();
    const subscription = new CatchUpSubscription(
      {
        readPage: (after, prefix, limit) => this.readPage(after, prefix, limit),
        listener: this.listener,
        pollIntervalMs: this.options.pollIntervalMs ?? 5_000,
        retryBudgetMs: this.options.subscriptionRetryMs ?? 60_000,
        unavailable: (error) => unavailable(this.options.connectionString, error, 'following the event log', this.hosts),
      },
      options,
      (sub) => this.subscriptions.delete(sub),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.batcher.drained();
      await this.notifier.stop();
      await Promise.all([...this.subscriptions].map((s) => s.closeWithStore()));
      await this.listener.stop();
      await this.workerLiveness.close();
      await this.pool.end();
    })();
    return this.closed;
  }
}

/**
 * Opens a PostgreSQL event store: connects (once: an unreachable server fails fast with a
 * StoreUnavailableError that names the URL without its password and says what to check),
 * migrates the schema unless `migrate: false`, and returns the store.
 *
 * @throws {@link sagaflow!StoreUnavailableError} (`STORE_UNAVAILABLE`) when the server (with several
 *   hosts: a primary) cannot be reached, or, with `migrate: false`, when the schema is missing or older than this version.
 * @throws {@link sagaflow!StoreUrlError} (`STORE_URL_INVALID`) for a malformed multi-host URL or `hosts` option.
 * @throws `TypeError` for an invalid `schema` name.
 */
export async function createPostgresEventStore(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  quoteSchema(schema);
  const connection = connectionTarget(options.connectionString, options.hosts, options.pool ?? {});
  const hosts = connection.hostList?.hosts;
  const pool = new pg.Pool(connection.pool);
  // Idle clients die when the server restarts; the pool drops them, we only must not crash.
  pool.on('error', () => undefined);
  let client: pg.PoolClient;
  const ignore = (): void => undefined;
  try {
    // Multi-host: find the primary first (fails fast, saying what each host answered).
    await connection.locator?.located();
    client = await pool.connect();
    client.on('error', ignore);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw unavailable(options.connectionString, error, 'opening the event store', hosts);
  }
  try {
    if (options.migrate ?? true) await runMigration(client, schema);
    else await assertMigrated(client, schema);
  } catch (error) {
    client.release(true);
    await pool.end().catch(() => undefined);
    throw isRetryable(error) ? unavailable(options.connectionString, error, 'migrating the schema', hosts) : error;
  }
  client.off('error', ignore);
  client.release();
  const listener = new NotificationListener(connection.listenConfig, notifyChannel(schema), (error) => connection.locator?.suspect(error));
  return new PgEventStore(pool, listener, schema, options, connection);
}
