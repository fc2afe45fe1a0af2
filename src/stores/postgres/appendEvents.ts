/**
 * One append = one transaction. The order of locks is what makes it correct:
 *
 * 1. The stream's row in `streams` is locked (created first if missing, ON CONFLICT DO
 *    NOTHING), so writers of one stream queue up and each sees the revision its predecessor
 *    committed: the expected-revision check cannot race.
 * 2. Under that lock the shared `checkAppend` decides, exactly as in the other stores: append,
 *    conflict, or an idempotent retry (same ids at the same expected revision, e.g. after a lost
 *    COMMIT reply) that returns the original result and writes nothing.
 * 3. Only then the global append lock (a transaction-scoped advisory lock) is taken, right
 *    before the INSERT, and held until COMMIT. Positions come from an identity sequence, so
 *    they are handed out in the order appends get this lock, which is their commit order:
 *    PostgreSQL makes a commit visible before it releases the transaction's locks. A reader of
 *    "position > p" therefore never sees position q before every lower position is committed
 *    or rolled back: no event is ever skipped (the sequence-gap problem cannot arise).
 *
 * Why this and not the xid filter (`transaction_id < pg_snapshot_xmin(...)`) of Marten or
 * Emmett: that filter orders the log by (transaction id, position), a pair, and needs the
 * pair as the checkpoint; our port promises one number strictly increasing in commit order,
 * which only serialised assignment gives. The price is that appends to *different* streams
 * serialise for the duration of INSERT + COMMIT (everything else, including the stream
 * check, runs before the lock); batching related events into one append keeps that cheap.
 */
import type pg from 'pg';
import { checkAppend, conflictError, type StreamView } from '../appendCheck.js';
import type { AppendResult, ExpectedRevision, NewEvent } from '../eventStore.js';
import { ADVISORY_LOCK_CLASS } from './migration.js';
import { applySagaIndexChange, planSagaIndexChange } from './sagaIndex.js';

/** Where to append: the quoted schema, its plain name (lock key) and its NOTIFY channel. */
export interface AppendTarget {
  schema: string;
  schemaName: string;
  channel: string;
}

interface ExistingRow {
  event_id: string;
  revision: string;
  position: string;
}

/**
 * The stream as the shared `checkAppend` sees it, built from the stored events that carry one
 * of the batch's ids. That is enough: checkAppend only asks whether the event at a revision
 * has one of those ids. Ids are compared in lower case, as the uuid column returns them.
 */
async function streamView(client: pg.PoolClient, schema: string, streamId: string, ids: string[], lastRevision: number): Promise<StreamView> {
  const { rows } = await client.query<ExistingRow>(
    `SELECT event_id, revision, position FROM ${schema}.events WHERE stream_id = $1 AND event_id = ANY($2::uuid[])`,
    [streamId, ids],
  );
  const byRevision = new Map(rows.map((row) => [Number(row.revision), { id: row.event_id, position: Number(row.position) }]));
  const byId = new Map(rows.map((row) => [row.event_id, Number(row.revision)]));
  return { lastRevision, at: (revision) => byRevision.get(revision), revisionOf: (id) => byId.get(id) };
}

/** Appends `events` (non-empty, validated) in one transaction on `client`. */
export async function appendEvents(
  client: pg.PoolClient,
  target: AppendTarget,
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
): Promise<AppendResult> {
  const { schema } = target;
  let current = -1;
  // The lock-then-reread steps below rely on READ COMMITTED (each statement sees the latest
  // commits), whatever default_transaction_isolation the database has.
  await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
  try {
    await client.query(`INSERT INTO ${schema}.streams (stream_id, revision) VALUES ($1, -1) ON CONFLICT DO NOTHING`, [streamId]);
    const locked = await client.query<{ revision: string }>(`SELECT revision FROM ${schema}.streams WHERE stream_id = $1 FOR UPDATE`, [streamId]);
    current = Number(locked.rows[0]?.revision ?? -1);
    const ids = events.map((e) => e.id.toLowerCase());
    // The common case (the expectation holds) needs no lookup; a re-used id then fails the
    // unique constraint below. 'any' and mismatches may be idempotent retries: look them up.
    const matches = expected !== 'any' && (expected === 'no_stream' ? current === -1 : expected === current);
    const check = matches
      ? { kind: 'append' as const, firstRevision: current + 1 }
      : checkAppend(streamId, ids, expected, await streamView(client, schema, streamId, ids, current));
    if (check.kind === 'idempotent') {
      await client.query('ROLLBACK');
      return check.result;
    }

    const nextRevision = check.firstRevision - 1 + events.length;
    const sagaChange = planSagaIndexChange(streamId, events);
    if (sagaChange) await applySagaIndexChange(client, schema, sagaChange);
    await client.query(`UPDATE ${schema}.streams SET revision = $2 WHERE stream_id = $1`, [streamId, nextRevision]);
    // Queued now, delivered at COMMIT after the rows are visible; the payload is only a hint.
    await client.query('SELECT pg_notify($1, $2)', [target.channel, streamId]);

    // From the lock to COMMIT appends run one at a time: this is what orders positions by
    // commit. The lock is taken in the INSERT's own statement (every row it inserts needs the
    // CTE's row, so the lock precedes every position), keeping the serialised part to two
    // round trips: this statement and COMMIT.
    const batch = JSON.stringify(events.map((e) => ({ id: e.id, type: e.type, data: e.data ?? null, metadata: e.metadata ?? {} })));
    const inserted = await client.query<{ position: string }>(
      `WITH append_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock($4, hashtext($5)))
       INSERT INTO ${schema}.events (event_id, stream_id, revision, type, data, metadata)
       SELECT (x.e->>'id')::uuid, $1, $2::bigint + x.n, x.e->>'type', x.e->'data', x.e->'metadata'
         FROM append_lock, jsonb_array_elements($3::jsonb) WITH ORDINALITY AS x(e, n)
        ORDER BY x.n
       RETURNING position`,
      [streamId, check.firstRevision - 1, batch, ADVISORY_LOCK_CLASS, `${target.schemaName}.append`],
    );
    await client.query('COMMIT');
    const position = inserted.rows.reduce((max, r) => Math.max(max, Number(r.position)), 0);
    return { nextRevision, position };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const pgError = error as { code?: string; constraint?: string; detail?: string };
    if (pgError.code === '23505' && pgError.constraint === 'events_event_id_key') {
      // One of the ids is stored already, but not as an idempotent retry of this append.
      const eventId = /\(event_id\)=\(([^)]+)\)/.exec(pgError.detail ?? '')?.[1];
      throw Object.assign(conflictError(streamId, expected, current, { reason: 'event_id_in_use', ...(eventId ? { eventId } : {}) }), { cause: error });
    }
    throw error;
  }
}
