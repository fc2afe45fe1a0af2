/**
 * The open-stream index (openStreamIndex.ts) on PostgreSQL: the `open_streams` table, which
 * append_batch keeps in each append's own transaction from the planner's verdict (computed in
 * appendEvents.ts), and a completeness flag in `meta`. This file reads it and completes it.
 * It knows nothing of what the streams are.
 */
import type pg from 'pg';
import type { OpenStreamsPage } from '../openStreamIndex.js';

/** Runs one statement on the primary (with the store's retries). */
export type RunQuery = <R extends pg.QueryResultRow>(text: string, values: unknown[]) => Promise<pg.QueryResult<R>>;

interface PageRow {
  below: string;
  complete: boolean | null;
  stream_id: string | null;
  opened_at: string | null;
}

/**
 * One page, in ONE statement (hence one snapshot), with the position W - 1, where
 * W = (snapshot xmin + xid_offset) << 12 is the watermark readAll uses (postgresEventStore.ts).
 * Why that position misses nothing: a position is derived from its transaction's xid. Every
 * transaction with an xid below xmin had ended when the snapshot was taken, so its events and
 * its open_streams change are both visible in the page (same transaction: both or neither).
 * An append whose change the page does not reflect therefore has an xid >= xmin, hence
 * positions >= W > W - 1, and `subscribeToAll({ after: W - 1 })` delivers it. Appends with an
 * xid >= xmin that had committed are both listed and delivered again: harmless, delivery is at
 * least once. (LIMIT 1: log_epoch has one row, but without statistics the planner guesses
 * thousands, and a guessed cost above jit_above_cost JIT-compiles the statement: ~25 ms.)
 * Later pages are read in later snapshots; an entry they cannot see any more
 * (opened behind the cursor by a transaction in flight at the first page) was written at a
 * position >= the first page's W, so the first page's position covers it.
 */
export async function listOpenStreams(run: RunQuery, s: string, after: number, prefix: string, limit: number): Promise<OpenStreamsPage> {
  const { rows } = await run<PageRow>(
    `WITH w AS MATERIALIZED (
       SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint + l.xid_offset) << 12 AS below,
              (SELECT m.value = '1' FROM ${s}.meta m WHERE m.key = 'open_streams_complete') AS complete
         FROM ${s}.log_epoch l LIMIT 1)
     SELECT w.below, w.complete, o.stream_id, o.opened_at FROM w LEFT JOIN LATERAL (
       SELECT t.stream_id, t.opened_at FROM ${s}.open_streams t
        WHERE w.complete AND t.opened_at > $1 AND starts_with(t.stream_id, $2)
        ORDER BY t.opened_at LIMIT $3) o ON true`,
    [after, prefix, limit],
  );
  return toPage(rows, limit);
}

function toPage(rows: readonly PageRow[], limit: number): OpenStreamsPage {
  const position = Math.max(0, Number(rows[0]?.below ?? 0) - 1);
  if (rows[0]?.complete !== true) return { complete: false, streamIds: [], next: undefined, position };
  const entries = rows.filter((r) => r.stream_id !== null);
  return {
    complete: true,
    streamIds: entries.map((r) => r.stream_id as string),
    next: entries.length === limit ? Number(entries.at(-1)?.opened_at) : undefined,
    position,
  };
}

/**
 * Like {@link listOpenStreams}, but each listed entry is claimed by `owner` for `leaseMs` (from
 * the claimer's `now`, ms since the epoch): entries another owner claimed and whose claim has not run out are left
 * out, and rows another claimer is claiming at this very moment are skipped, not waited for
 * (`FOR UPDATE SKIP LOCKED`, as the seed's auto-recovery job). Workers that start at once thus
 * get disjoint pages. `owner`'s own claims are renewed; the cursor `after` pages through them.
 * `expiredOnly` leaves never-claimed entries out (a sweep for the claims of dead workers).
 * The position is the same watermark as list's: the claim changes no stream, and the page shows
 * what the snapshot saw (a stream a page leaves out is one another owner holds, or one that
 * moved after W - 1, which the subscription delivers).
 */
export async function claimOpenStreams(
  run: RunQuery,
  s: string,
  options: { after: number; prefix: string; limit: number; owner: string; leaseMs: number; expiredOnly: boolean; now: number },
): Promise<OpenStreamsPage> {
  const { rows } = await run<PageRow>(
    `WITH w AS MATERIALIZED (
       SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint + l.xid_offset) << 12 AS below,
              (SELECT m.value = '1' FROM ${s}.meta m WHERE m.key = 'open_streams_complete') AS complete
         FROM ${s}.log_epoch l LIMIT 1),
     n AS MATERIALIZED (SELECT to_timestamp($7::double precision / 1000) AS now),
     free AS (
       SELECT t.stream_id FROM ${s}.open_streams t
        WHERE (SELECT complete FROM w) AND t.opened_at > $1 AND starts_with(t.stream_id, $2)
          AND ((t.claimed_until IS NULL AND NOT $6::boolean) OR t.claimed_until <= (SELECT now FROM n) OR t.claimed_by = $4)
        ORDER BY t.opened_at LIMIT $3
        FOR UPDATE SKIP LOCKED),
     claimed AS (
       UPDATE ${s}.open_streams t SET claimed_by = $4, claimed_until = (SELECT now FROM n) + make_interval(secs => $5::double precision / 1000)
         FROM free WHERE t.stream_id = free.stream_id
       RETURNING t.stream_id, t.opened_at)
     SELECT w.below, w.complete, c.stream_id, c.opened_at,
            EXISTS (SELECT 1 FROM ${s}.open_streams o
                     WHERE o.opened_at > $1 AND starts_with(o.stream_id, $2) AND o.claimed_by <> $4 AND o.claimed_until > (SELECT now FROM n)) AS held
       FROM w LEFT JOIN claimed c ON true ORDER BY c.opened_at`,
    [options.after, options.prefix, options.limit, options.owner, options.leaseMs, options.expiredOnly, options.now],
  );
  return { ...toPage(rows, options.limit), heldByOthers: (rows[0] as { held?: boolean } | undefined)?.held === true };
}

/**
 * Completes the index after the caller's scan up to `scannedTo` (openStreamIndex.ts `adopt`),
 * in one statement. The stream rows are locked in stream-id order, as append_batch locks them
 * (no deadlock with appends): an append to one of these streams either committed before the
 * lock (its last_position, read after the lock, is above `scannedTo`: it kept the entry itself,
 * so the scan's verdict is stale and skipped) or waits and then finds the entry. NULL
 * last_position: a stream untouched since schema version 1, which the scan saw whole.
 */
export async function adoptOpenStreams(run: RunQuery, s: string, open: readonly { streamId: string; openedAt: number }[], scannedTo: number): Promise<void> {
  await run(
    `WITH input AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS u(stream_id, opened_at)),
     locked AS (
       SELECT t.stream_id, t.last_position FROM ${s}.streams t
        WHERE t.stream_id IN (SELECT stream_id FROM input) ORDER BY t.stream_id FOR UPDATE OF t),
     added AS (
       INSERT INTO ${s}.open_streams (stream_id, opened_at)
       SELECT i.stream_id, i.opened_at FROM input i JOIN locked l USING (stream_id)
        WHERE coalesce(l.last_position, 0) <= $3
       ON CONFLICT DO NOTHING)
     UPDATE ${s}.meta SET value = '1' WHERE key = 'open_streams_complete'`,
    [open.map((o) => o.streamId), open.map((o) => o.openedAt), scannedTo],
  );
}
