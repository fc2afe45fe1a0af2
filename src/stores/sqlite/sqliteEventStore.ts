/**
 * The embedded durable store: one SQLite file (better-sqlite3), shareable by several
 * processes. better-sqlite3 is synchronous, so each call runs to completion without yielding:
 * within one process there is never a transaction open across an `await`, and store objects
 * of one process never wait for each other. Waiting for another *process's* write lock
 * (busy_timeout) does block this process's event loop; a commit holds the lock for about a
 * millisecond (a few tens for the largest batch), so in practice the wait is short.
 */
import { resolve } from 'node:path';
import { AppendRefusedError, CorruptedEventError, StoreClosedError, StoreUnavailableError, isSagaError } from '../../core/errors.js';
import { checkAppend, conflictError } from '../appendCheck.js';
import type { OpenStreamIndex, OpenStreamPlanner, OpenStreamsPage } from '../openStreamIndex.js';
import {
  assertValidAppend,
  assertValidStreamName,
  encodeEvents,
  type EncodedEvent,
  DEFAULT_MAX_EVENT_BYTES,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type Json,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '../eventStore.js';
import { ChangeSignal, startPollingSubscription, type EventPage, type PollingSubscription } from '../pollingSubscription.js';
import { recordedAtNow } from '../recordedAt.js';
import { createGroupCommit, type AppendOutcome, type AppendRequest } from './sqliteGroupCommit.js';
import { createSqliteOpenStreamClaims } from './sqliteOpenStreamClaims.js';
import { openSqliteDatabase, openSqliteDatabaseReadOnly } from './sqliteSchema.js';
import { createSqliteWorkerLiveness } from './sqliteWorkerLiveness.js';

/**
 * Most appends committed in one transaction. A turn rarely produces more than the engine's
 * concurrency; the cap bounds how long one commit holds the write lock other processes wait for.
 */
const MAX_APPENDS_PER_COMMIT = 1_000;

/** Options of {@link createSqliteEventStore}. */
export interface SqliteEventStoreOptions {
  /** The database file, relative to the working directory or absolute; missing directories are created. */
  path: string;
  /** Largest event (data + metadata as JSON, UTF-8 bytes). @default 1 MiB (DEFAULT_MAX_EVENT_BYTES) */
  maxEventBytes?: number;
  /**
   * How often an idle subscription polls the file for appends made by other processes, in
   * milliseconds. Appends through this store object wake subscriptions at once. @default 25
   */
  pollIntervalMs?: number;
  /**
   * Open an existing file for reading only (inspection, a backup, a read-only mount): nothing is
   * created or migrated, and appends reject with AppendRefusedError (`APPEND_REFUSED`). A missing
   * file throws StoreNotFoundError (`STORE_NOT_FOUND`). @default false
   */
  readOnly?: boolean;
}

/** A SQLite event store; `path` is the absolute file path. */
export interface SqliteEventStore extends EventStore {
  readonly kind: 'sqlite';
  /** The database file's absolute path. */
  readonly path: string;
}

interface EventRow {
  position: number;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

/**
 * Opens or creates the store file (WAL, synchronous=FULL, busy timeout: see sqliteSchema.ts).
 * Appends are group-committed: those made during one turn of the event loop run in one
 * IMMEDIATE transaction (one fsync), each checked for its expected revision and idempotency
 * as if they ran one after the other, each resolved only once that transaction is durable,
 * and a conflict rejects only its own append. Subscriptions poll the file so that appends
 * from other processes are delivered too.
 *
 * @throws {@link sagaflow!StoreUnavailableError} (`STORE_UNAVAILABLE`) when the file cannot be opened.
 * @throws {@link sagaflow!StoreNotFoundError} (`STORE_NOT_FOUND`) with `readOnly`, when the file does not exist.
 */
export function createSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  const path = options.path === ':memory:' ? options.path : resolve(options.path);
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const pollIntervalMs = options.pollIntervalMs ?? 25;
  const readOnly = options.readOnly === true && path !== ':memory:';
  const db = readOnly ? openSqliteDatabaseReadOnly(path) : openSqliteDatabase(path);
  const sql = {
    last: db.prepare('SELECT revision FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1').pluck(),
    at: db.prepare('SELECT event_id AS id, position FROM events WHERE stream_id = ? AND revision = ?'),
    byId: db.prepare('SELECT stream_id AS streamId, revision FROM events WHERE event_id = ?'),
    insert: db.prepare('INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    forwards: db.prepare('SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?'),
    backwards: db.prepare('SELECT * FROM events WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?'),
    all: db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
    allPrefix: db.prepare('SELECT * FROM events WHERE position > ? AND substr(stream_id, 1, ?) = ? ORDER BY position LIMIT ?'),
    head: db.prepare('SELECT coalesce(max(position), 0) FROM events').pluck(),
    open: db.prepare('INSERT OR IGNORE INTO open_streams (stream_id, opened_at) VALUES (?, ?)'),
    close: db.prepare('DELETE FROM open_streams WHERE stream_id = ?'),
    openPage: db.prepare(
      'SELECT stream_id AS streamId, opened_at AS openedAt FROM open_streams WHERE opened_at > ? AND substr(stream_id, 1, ?) = ? ORDER BY opened_at LIMIT ?',
    ),
    complete: db.prepare(`SELECT value FROM meta WHERE key = 'open_streams_complete'`).pluck(),
    markComplete: db.prepare(`UPDATE meta SET value = '1' WHERE key = 'open_streams_complete'`),
    lastPosition: db.prepare('SELECT position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1').pluck(),
  };
  let planner: OpenStreamPlanner | undefined;
  const signal = new ChangeSignal();
  const subscriptions = new Set<PollingSubscription>();
  let closing: Promise<void> | undefined;

  const assertOpen = (): void => {
    if (closing) throw new StoreClosedError(`The SQLite event store ${path} is closed.`);
  };

  /** Runs a synchronous database call, translating closed-store and SQLite errors. */
  const guard = <T>(fn: () => T): Promise<T> => {
    try {
      assertOpen();
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(translate(error, path));
    }
  };

  // Called inside appendBatch, so better-sqlite3 runs it as a SAVEPOINT: a failed append is
  // rolled back alone and the rest of its batch goes on.
  const appendOne = db.transaction(
    (streamId: string, events: readonly NewEvent[], expected: ExpectedRevision, encoded: readonly EncodedEvent[]): AppendResult => {
      const lastRevision = (sql.last.get(streamId) as number | undefined) ?? -1;
      const ids = events.map((event) => event.id);
      const check = checkAppend(streamId, ids, expected, {
        lastRevision,
        at: (revision) => sql.at.get(streamId, revision) as { id: string; position: number } | undefined,
        revisionOf: (id) => {
          const found = sql.byId.get(id) as { streamId: string; revision: number } | undefined;
          return found?.streamId === streamId ? found.revision : undefined;
        },
      });
      if (check.kind === 'idempotent') return check.result;
      // Checked before inserting so the error can name the id; UNIQUE(event_id) is the backstop.
      const reused = ids.find((id) => sql.byId.get(id) !== undefined);
      if (reused) throw conflictError(streamId, expected, lastRevision, { reason: 'event_id_in_use', eventId: reused });
      const recordedAt = recordedAtNow();
      let position = 0;
      for (const [i, event] of events.entries()) {
        const { data, metadata } = encoded[i] as EncodedEvent;
        const info = sql.insert.run(streamId, check.firstRevision + i, event.id, event.type, data, metadata, recordedAt);
        position = Number(info.lastInsertRowid);
      }
      // The open-stream index changes in the append's own transaction, so it never disagrees with the log.
      const change = planner?.(streamId, events);
      if (change === 'open') sql.open.run(streamId, position - events.length + 1);
      else if (change === 'close') sql.close.run(streamId);
      return { nextRevision: check.firstRevision + events.length - 1, position };
    },
  );

  /**
   * One IMMEDIATE transaction for a whole batch. Each append sees the ones before it, so a
   * batch behaves exactly like its appends run one after the other. An error of the append's
   * own (a conflict, a constraint) rejects only that append; an error of the database (busy
   * past the timeout, I/O, full disk) or a transaction SQLite already rolled back fails the
   * whole batch, since nothing of it is committed.
   */
  const appendBatch = db.transaction((requests: readonly AppendRequest[]): AppendOutcome[] =>
    requests.map(({ streamId, events, expected, encoded }): AppendOutcome => {
      try {
        return { ok: true, result: appendOne(streamId, events, expected, encoded) };
      } catch (error) {
        if (!db.inTransaction || translate(error, path) instanceof StoreUnavailableError) throw error;
        return { ok: false, error };
      }
    }),
  );

  const groupCommit = createGroupCommit({
    maxBatch: MAX_APPENDS_PER_COMMIT,
    onCommitted: () => signal.notify(),
    commitBatch: (requests) => {
      // A flush after close() has nothing queued (close() flushes first); this is the backstop.
      if (!db.open) throw new StoreClosedError(`The SQLite event store ${path} is closed.`);
      try {
        return appendBatch.immediate(requests);
      } catch (error) {
        throw translate(error, path);
      }
    },
  });

  const readPage = db.transaction((after: number, maxCount: number, prefix: string | undefined): EventPage => {
    const limit = Math.max(0, Math.floor(maxCount));
    const rows = (prefix ? sql.allPrefix.all(after, prefix.length, prefix, limit) : sql.all.all(after, limit)) as EventRow[];
    // A short page means everything up to the head (read in the same snapshot) was examined.
    const scannedTo = rows.length < limit ? (sql.head.get() as number) : rows.at(-1)?.position;
    return { events: rows.map(toRecorded), scannedTo };
  });

  const listOpen = db.transaction((after: number, prefix: string, limit: number): OpenStreamsPage => {
    const position = sql.head.get() as number;
    if (sql.complete.get() !== '1') return { complete: false, streamIds: [], next: undefined, position };
    const rows = sql.openPage.all(after, prefix.length, prefix, limit) as { streamId: string; openedAt: number }[];
    return { complete: true, streamIds: rows.map((r) => r.streamId), next: rows.length === limit ? rows.at(-1)?.openedAt : undefined, position };
  });
  const adopt = db.transaction((entries: readonly { streamId: string; openedAt: number }[], scannedTo: number): void => {
    for (const { streamId, openedAt } of entries) {
      // A stream with appends after the scan had its entry kept by those appends.
      if (((sql.lastPosition.get(streamId) as number | undefined) ?? 0) <= scannedTo) sql.open.run(streamId, openedAt);
    }
    sql.markComplete.run();
  });
  const claimOpen = createSqliteOpenStreamClaims(
    db,
    () => sql.head.get() as number,
    () => sql.complete.get() === '1',
  );
  const openStreams: OpenStreamIndex = {
    usePlanner(next) {
      planner = next;
    },
    list: ({ streamPrefix, limit, after = 0 }) => guard(() => listOpen(after, streamPrefix, Math.max(1, Math.floor(limit)))),
    claim: ({ streamPrefix, limit, owner, leaseMs, after = 0, expiredOnly = false, now }) =>
      guard(() => claimOpen({ after, prefix: streamPrefix, limit: Math.max(1, Math.floor(limit)), owner, leaseMs, expiredOnly, now })),
    adopt: (entries, scannedTo) => guard(() => adopt.immediate(entries, scannedTo)),
  };

  const workerLiveness = createSqliteWorkerLiveness(db, guard);

  const store: SqliteEventStore = {
    openStreams,
    workerLiveness,
    kind: 'sqlite',
    path,

    async append(streamId, events, expected) {
      assertOpen();
      if (readOnly)
        throw new AppendRefusedError(`The SQLite event store ${path} is open read-only: nothing can be appended to ${streamId}.`, {
          details: { path, streamId },
        });
      // Encoded once, for the size check and the insert; and now, so that a caller changing its
      // events before the commit cannot change what is stored.
      const encoded = encodeEvents(events);
      assertValidAppend(streamId, events, expected, maxEventBytes, encoded);
      return groupCommit.submit({ streamId, events, expected, encoded });
    },

    async readStream(streamId: string, options: ReadStreamOptions = {}) {
      assertOpen();
      assertValidStreamName(streamId);
      const limit = options.maxCount === undefined ? -1 : Math.max(0, Math.floor(options.maxCount));
      const rows = await guard(() =>
        options.direction === 'backwards'
          ? sql.backwards.all(streamId, options.fromRevision ?? Number.MAX_SAFE_INTEGER, limit)
          : sql.forwards.all(streamId, options.fromRevision ?? 0, limit),
      );
      return (rows as EventRow[]).map(toRecorded);
    },

    async readAll(options: ReadAllOptions = {}) {
      const page = await guard(() => readPage(Math.max(0, options.after ?? 0), options.maxCount ?? Number.MAX_SAFE_INTEGER, options.streamPrefix));
      return page.events;
    },

    subscribeToAll(options: SubscribeToAllOptions): Subscription {
      assertOpen();
      const source = {
        signal,
        pollIntervalMs,
        readPage: (after: number, maxCount: number) => guard(() => readPage(after, maxCount, options.streamPrefix)),
      };
      const sub = startPollingSubscription(source, options, (ended) => subscriptions.delete(ended));
      subscriptions.add(sub);
      return sub;
    },

    /** Stops subscriptions (onError gets StoreClosedError), waits for running handlers, closes the file. */
    close() {
      closing ??= (async () => {
        // Appends queued before close() are committed now, before the file closes.
        groupCommit.flush();
        workerLiveness.close();
        const error = new StoreClosedError(`The SQLite event store ${path} was closed.`);
        await Promise.all([...subscriptions].map((sub) => sub.stop(error)));
        db.close();
      })();
      return closing;
    },
  };

  return store;
}

function toRecorded(row: EventRow): RecordedEvent {
  try {
    return {
      id: row.event_id,
      streamId: row.stream_id,
      type: row.type,
      data: JSON.parse(row.data) as Json,
      metadata: JSON.parse(row.metadata) as Record<string, Json>,
      revision: row.revision,
      position: row.position,
      recordedAt: row.recorded_at,
    };
  } catch (error) {
    throw new CorruptedEventError(`Event ${row.stream_id}@${row.revision} (position ${row.position}) holds invalid JSON.`, {
      cause: error,
      details: { streamId: row.stream_id, revision: row.revision, position: row.position },
    });
  }
}

/** SQLite errors that mean "try again later" become StoreUnavailableError, which the runtime retries. */
function translate(error: unknown, path: string): unknown {
  if (isSagaError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL)/.test(code)) {
    return new StoreUnavailableError(`The SQLite event store ${path} is unavailable (${code}): ${(error as Error).message}`, {
      cause: error,
      details: { path, code },
    });
  }
  return error;
}
