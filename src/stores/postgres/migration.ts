/**
 * The PostgreSQL schema of the store, as one idempotent SQL script. The adapter runs it on
 * open under an advisory lock; DBAs can print it with `postgresMigrationSql()` and apply it
 * themselves (running it twice is harmless).
 */

import type pg from 'pg';
import { StoreUnavailableError } from '../../core/errors.js';
import { appendFunctionSql } from './appendFunctionSql.js';

/**
 * The schema version this code needs; the script upgrades versions 1 and 2 to it in place.
 * 1: identity positions. 2: xid positions, append_batch, the saga-aware `sagas` table.
 * 3: the generic open-stream index (`open_streams`, `meta`) replaces `sagas`.
 * 4: append_batch answers a batch of new ids set-based (same outcomes, fewer statements).
 */
export const SCHEMA_VERSION = 4;

/** append_batch's parameters at version 2 (with the `sagas` table's), dropped by the upgrade. */
const VERSION_2_APPEND_SIGNATURE =
  'text[], bigint[], integer[], uuid[], text[], integer[], jsonb, jsonb, text[], text[], text[], text[], timestamptz[], text[], timestamptz[]';

/** Schema used when none is given. Keeping our tables out of `public` avoids name clashes. */
export const DEFAULT_SCHEMA = 'sagaflow';

/** First key of every advisory lock we take (two-int form), so ours never collide with the app's. */
export const ADVISORY_LOCK_CLASS = 0x5a6a;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name and returns it double-quoted for SQL. Only plain lower-case names are accepted, so quoting never changes meaning. */
export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new TypeError(`Invalid PostgreSQL schema name ${JSON.stringify(schema)}: use 1-63 characters from a-z 0-9 _, not starting with a digit.`);
  }
  return `"${schema}"`;
}

/** LISTEN/NOTIFY channel of a schema: appends notify it, subscriptions listen to it. */
export function notifyChannel(schema: string): string {
  return `sagaflow_${schema}`;
}

/**
 * Lifts xid_offset when stored positions are ahead of the xid counter, which only happens when
 * the xid counter was reset under the data (pg_dump/restore into a new cluster, logical
 * replication to a fresh one): new positions would sort below stored ones, and readers would
 * hide the stored ones. Compares with the next xid (snapshot xmax), never with xmin: every
 * stored position comes from an xid below xmax, so in normal operation this changes nothing.
 */
function realignPositionsSql(s: string): string {
  return `UPDATE ${s}.log_epoch AS l SET xid_offset = l.xid_offset + n.need
  FROM (SELECT coalesce((SELECT max(position) FROM ${s}.events) >> 12, -1) + 1
               - (pg_snapshot_xmax(pg_current_snapshot())::text::bigint + xid_offset) AS need FROM ${s}.log_epoch) AS n
 WHERE n.need > 0;`;
}

/**
 * The migration script for `schema` (default `sagaflow`): tables, indexes, the append function
 * and read-model views, at schema version 4. Idempotent, and upgrades a version 1, 2 or 3 schema
 * in place (stop older writers first: version 1 ones need the identity column this drops,
 * version 2 ones the append_batch signature and `sagas` table it drops); one transaction.
 */
export function postgresMigrationSql(schema: string = DEFAULT_SCHEMA): string {
  const s = quoteSchema(schema);
  // When the runtime says it happened, falling back to when the store recorded it.
  const eventTime = `CASE WHEN jsonb_typeof(e.data->'at') = 'number' THEN to_timestamp((e.data->>'at')::double precision / 1000) ELSE e.recorded_at END`;
  return `BEGIN;
CREATE SCHEMA IF NOT EXISTS ${s};

-- The log. position = ((xid of the writing transaction + log_epoch.xid_offset) << 12) + the
-- event's ordinal in that transaction, set by append_batch (appendFunctionSql.ts). Readers return
-- only positions below the snapshot's xmin watermark, so "position > p" paging never skips.
CREATE TABLE IF NOT EXISTS ${s}.events (
  position    bigint      PRIMARY KEY,
  event_id    uuid        NOT NULL,
  stream_id   text        NOT NULL,
  revision    bigint      NOT NULL,
  type        text        NOT NULL,
  data        jsonb       NOT NULL,
  metadata    jsonb       NOT NULL DEFAULT '{}'::jsonb,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT events_event_id_key UNIQUE (event_id),
  CONSTRAINT events_stream_revision_key UNIQUE (stream_id, revision)
);
CREATE INDEX IF NOT EXISTS events_type_idx ON ${s}.events (type);
-- Upgrade from version 1, where position was an identity column (no-op afterwards).
ALTER TABLE ${s}.events ALTER COLUMN position DROP IDENTITY IF EXISTS;

-- One row: added to every xid in positions, so that positions after an upgrade from version 1
-- (identity values) stay above every stored one. Set once, here; never changed afterwards.
CREATE TABLE IF NOT EXISTS ${s}.log_epoch (
  one        boolean PRIMARY KEY DEFAULT true CHECK (one),
  xid_offset bigint  NOT NULL
);
INSERT INTO ${s}.log_epoch (one, xid_offset)
SELECT true, greatest(0, coalesce((SELECT max(position) FROM ${s}.events) >> 12, -1) + 1 - pg_current_xact_id()::text::bigint)
ON CONFLICT DO NOTHING;

-- One row per stream: the row lock (FOR UPDATE) serialises writers of one stream, and the
-- row answers "what is the current revision" without scanning events.
CREATE TABLE IF NOT EXISTS ${s}.streams (
  stream_id     text   PRIMARY KEY,
  revision      bigint NOT NULL,
  last_position bigint
);
-- Upgrade from version 1. The position of the stream's last event: append_batch refuses (as
-- retryable) to put a later revision at a lower position.
ALTER TABLE ${s}.streams ADD COLUMN IF NOT EXISTS last_position bigint;

CREATE TABLE IF NOT EXISTS ${s}.schema_version (
  version    integer     PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- The open-stream index (src/stores/openStreamIndex.ts): streams an append's planner opened
-- and no later append closed, kept by append_batch in the append's transaction. Generic: the
-- store does not know what the streams are (the runtime's planner: unfinished sagas).
-- claimed_by / claimed_until: a short claim (claimOpenStreams), so that workers starting at once
-- take disjoint pages; appends never touch them.
CREATE TABLE IF NOT EXISTS ${s}.open_streams (
  stream_id     text        PRIMARY KEY,
  opened_at     bigint      NOT NULL,
  claimed_by    text,
  claimed_until timestamptz
);
CREATE INDEX IF NOT EXISTS open_streams_opened_at_idx ON ${s}.open_streams (opened_at);
CREATE TABLE IF NOT EXISTS ${s}.meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
-- Is the index complete? An empty log: yes. A version 2 schema: its \`sagas\` rows with status
-- 'running' are exactly the unfinished sagas (parked ones are closed, as the runtime's planner
-- says), so they complete it without a scan; opened_at is their first event's position. A
-- version 1 schema: no (its sagas rows may miss sagas older than the table); the runtime scans
-- the log once and adopts what it found (openStreamIndex.ts). Runs once: the flag then exists.
DO $upgrade$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ${s}.meta WHERE key = 'open_streams_complete') THEN
    IF NOT EXISTS (SELECT 1 FROM ${s}.events) THEN
      INSERT INTO ${s}.meta (key, value) VALUES ('open_streams_complete', '1');
    ELSIF to_regclass('${s}.sagas') IS NOT NULL AND EXISTS (SELECT 1 FROM ${s}.schema_version WHERE version = 2) THEN
      INSERT INTO ${s}.open_streams (stream_id, opened_at)
      SELECT g.stream_id, e.position FROM ${s}.sagas g JOIN ${s}.events e ON e.stream_id = g.stream_id AND e.revision = 0
       WHERE g.status = 'running'
      ON CONFLICT DO NOTHING;
      INSERT INTO ${s}.meta (key, value) VALUES ('open_streams_complete', '1');
    ELSE
      INSERT INTO ${s}.meta (key, value) VALUES ('open_streams_complete', '0');
    END IF;
  END IF;
END
$upgrade$;
-- Version 2's saga-aware table and the append function that wrote it.
DROP FUNCTION IF EXISTS ${s}.append_batch(${VERSION_2_APPEND_SIGNATURE});
DROP TABLE IF EXISTS ${s}.sagas;

${appendFunctionSql(s)}

-- The seed's tables, as views over the facts in the log (event shapes: src/core/events.ts;
-- "at" is the runtime clock in ms since the epoch).
CREATE OR REPLACE VIEW ${s}.orchestration_checkpoints AS
SELECT substr(e.stream_id, 6) AS saga_id,
       e.stream_id,
       e.revision,
       e.position,
       e.data->>'step'        AS step,
       e.data->'snapshot'     AS snapshot,
       ${eventTime}           AS checkpointed_at,
       e.recorded_at
  FROM ${s}.events e
 WHERE e.type = 'CheckpointRecorded' AND e.stream_id LIKE 'saga-%';

-- Step and compensation failures, and parked sagas (phase 'saga': needs attention).
CREATE OR REPLACE VIEW ${s}.orchestration_failures AS
SELECT substr(e.stream_id, 6)                                  AS saga_id,
       e.stream_id,
       e.revision,
       e.position,
       CASE e.type WHEN 'StepFailed' THEN 'step'
                   WHEN 'CompensationFailed' THEN 'compensation'
                   ELSE 'saga' END                             AS phase,
       e.data->>'step'                                         AS step,
       CASE WHEN jsonb_typeof(e.data->'attempt') = 'number'
            THEN (e.data->>'attempt')::numeric::integer END    AS attempt,
       e.data->>'kind'                                         AS kind,
       CASE WHEN jsonb_typeof(e.data->'exhausted') = 'boolean'
            THEN (e.data->>'exhausted')::boolean END           AS exhausted,
       e.data#>>'{error,name}'                                 AS error_name,
       e.data#>>'{error,code}'                                 AS error_code,
       coalesce(e.data#>>'{error,message}', e.data->>'reason') AS message,
       ${eventTime}                                            AS occurred_at,
       e.recorded_at
  FROM ${s}.events e
 WHERE e.type IN ('StepFailed', 'CompensationFailed', 'SagaFailed') AND e.stream_id LIKE 'saga-%';

INSERT INTO ${s}.schema_version (version) VALUES (1), (2), (3), (${SCHEMA_VERSION}) ON CONFLICT DO NOTHING;
${realignPositionsSql(s)}
COMMIT;
`;
}

/** Runs the migration on one connection, serialised across processes by a session advisory lock. */
export async function runMigration(client: pg.PoolClient, schema: string): Promise<void> {
  const key = [ADVISORY_LOCK_CLASS, `${schema}.migrate`];
  await client.query('SELECT pg_advisory_lock($1, hashtext($2))', key);
  try {
    // Already migrated: run no DDL. `CREATE INDEX IF NOT EXISTS` takes a SHARE lock on the
    // table before it finds the index exists, which deadlocks with running appends (they hold
    // ROW EXCLUSIVE on open_streams, then want events) and stalls them until deadlock_timeout.
    const { rows } = await client.query<{ migrated: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS migrated`, [`${quoteSchema(schema)}.schema_version`]);
    if (rows[0]?.migrated) {
      const current = await client.query(`SELECT 1 FROM ${quoteSchema(schema)}.schema_version WHERE version = ${SCHEMA_VERSION}`);
      if ((current.rowCount ?? 0) > 0) {
        await client.query(realignPositionsSql(quoteSchema(schema)));
        return;
      }
    }
    await client.query(postgresMigrationSql(schema));
  } catch (error) {
    // The script's transaction is left aborted: end it, or the unlock below fails with 25P02
    // and hides the real error.
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', key);
  }
}

/** With `migrate: false`: fails on open, with the fix, when the schema was never migrated. */
export async function assertMigrated(client: pg.PoolClient, schema: string): Promise<void> {
  const { rows } = await client.query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${quoteSchema(schema)}.schema_version`]);
  let version = 0;
  if (rows[0]?.present) {
    const found = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${quoteSchema(schema)}.schema_version`);
    version = found.rows[0]?.version ?? 0;
  }
  if (version < SCHEMA_VERSION) {
    const what = version === 0 ? 'has no sagaflow tables' : `is at schema version ${version}; this version needs ${SCHEMA_VERSION}`;
    throw new StoreUnavailableError(
      `The PostgreSQL schema "${schema}" ${what}. Apply postgresMigrationSql('${schema}') (e.g. print it and run it with psql), or open the store with migrate: true.`,
      { details: { schema, version } },
    );
  }
}
