/**
 * The server-side append: one plpgsql function, one round trip, one transaction (autocommit)
 * for a batch of appends to distinct streams. Installed by the migration (schema version 3).
 *
 * Per stream it does what appendCheck.ts's `checkAppend` does, to the letter, under the stream
 * row's lock: append when the expected revision holds; an idempotent success when the events
 * right after the expected revision (or, for 'any', after the first id's predecessor) carry
 * exactly the batch's ids; a conflict otherwise; and `event_id_in_use` when an append whose
 * expectation holds carries an id stored elsewhere (what the unique constraint would say).
 * One stream's outcome never fails the others'.
 *
 * Positions: (xid of this transaction + xid_offset) << 12, plus the event's ordinal in the
 * batch (0..4095). Readers return only positions below (snapshot xmin + xid_offset) << 12:
 * every transaction that can still commit has an xid >= xmin, so what a reader returns is
 * always a prefix of the final log (see readPage in postgresEventStore.ts).
 */

/** Events one transaction may carry: the low 12 bits of a position. */
export const MAX_EVENTS_PER_TRANSACTION = 4096;

/** Positions stay below 2^53 (JS safe integers) while xid + xid_offset < 2^41. */
export const MAX_POSITION_XID = 2 ** 41;

/** `CREATE OR REPLACE FUNCTION <schema>.append_batch(...)`; `s` is the quoted schema. */
export function appendFunctionSql(s: string): string {
  return `CREATE OR REPLACE FUNCTION ${s}.append_batch(
  p_streams text[], p_expected bigint[], p_counts integer[],
  p_ids uuid[], p_types text[], p_event_stream integer[], p_data jsonb, p_metadata jsonb,
  p_open text[])
RETURNS TABLE (o_k integer, o_outcome text, o_next_revision bigint, o_position bigint, o_actual bigint, o_event_id uuid)
LANGUAGE plpgsql AS $fn$
-- p_expected: a revision, -1 for 'no_stream', -2 for 'any'. p_counts: events per stream; the
-- events are flattened in stream order; p_event_stream holds each one's stream (1-based).
-- p_open: per stream, what the append does to its open_streams entry: 'open', 'close' or NULL
-- (the installed planner's verdict, computed in JavaScript: openStreamIndex.ts).
DECLARE
  v_base bigint;
  v_ord integer;
  v_n integer := coalesce(cardinality(p_streams), 0);
  v_start integer[] := '{}';
  v_first bigint[] := '{}';
  v_total integer := 0;
  v_existing integer;
  i integer;
  v_stream text;
  v_cur bigint;
  v_last bigint;
  v_exp bigint;
  v_cnt integer;
  v_from bigint;
  v_same integer;
  v_pos bigint;
  v_in_use uuid;
  v_ids uuid[];
BEGIN
  SELECT pg_current_xact_id()::text::bigint + xid_offset INTO v_base FROM ${s}.log_epoch;
  IF v_base IS NULL OR v_base >= ${MAX_POSITION_XID} THEN
    RAISE EXCEPTION 'sagaflow: transaction id % (+ offset) leaves the range of positions that are safe JavaScript integers', v_base;
  END IF;
  -- Ordinals continue where an earlier call in the same transaction stopped (a caller may run
  -- the function inside a transaction of its own, more than once).
  v_ord := coalesce(nullif(current_setting('sagaflow.ordinal', true), '')::integer, 0);
  v_base := (v_base << 12) + v_ord;
  FOR i IN 1 .. v_n LOOP
    v_start[i] := v_total + 1;
    v_total := v_total + p_counts[i];
  END LOOP;
  IF v_ord + v_total > ${MAX_EVENTS_PER_TRANSACTION} OR v_total <> coalesce(cardinality(p_ids), 0) THEN
    RAISE EXCEPTION 'sagaflow: % events (% ids) in a transaction that holds % already; the limit is ${MAX_EVENTS_PER_TRANSACTION}', v_total, cardinality(p_ids), v_ord;
  END IF;
  PERFORM set_config('sagaflow.ordinal', (v_ord + v_total)::text, true);

  -- Lock every stream row, creating missing ones, in stream id order: concurrent batches take
  -- their locks in the same order and cannot deadlock.
  INSERT INTO ${s}.streams (stream_id, revision)
  SELECT u.s, -1 FROM unnest(p_streams) AS u(s) ORDER BY u.s
  ON CONFLICT DO NOTHING;
  PERFORM 1 FROM (SELECT t.stream_id FROM ${s}.streams t WHERE t.stream_id = ANY (p_streams) ORDER BY t.stream_id FOR UPDATE) AS locked;

  -- Taken after the locks (a new snapshot per statement): sees every commit that released them.
  SELECT count(*) INTO v_existing FROM ${s}.events e WHERE e.event_id = ANY (p_ids);

  IF v_existing = 0 THEN
    -- The usual case: none of the ids is stored, so no append is idempotent and no id is in use;
    -- each outcome follows from its stream row alone (a 'check' that finds none of its ids is a
    -- conflict). Set-based, so the cost per batch is a few statements, not a few per stream.
    SELECT u.s INTO v_stream
      FROM unnest(p_streams, p_expected) AS u(s, e) JOIN ${s}.streams t ON t.stream_id = u.s
     WHERE (u.e = -2 OR u.e = t.revision) AND t.last_position >= v_base
     LIMIT 1;
    IF FOUND THEN
      -- See the same check in the loop below.
      RAISE EXCEPTION 'sagaflow: stream % moved to a later position while this append waited for it; retry', v_stream
        USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN QUERY
    WITH r AS MATERIALIZED (
      SELECT (u.k - 1)::integer AS k, u.s, u.c, u.o, t.revision AS cur, (u.e = -2 OR u.e = t.revision) AS ok,
             sum(u.c) OVER (ORDER BY u.k) - u.c AS before
        FROM unnest(p_streams, p_expected, p_counts, p_open) WITH ORDINALITY AS u(s, e, c, o, k)
        JOIN ${s}.streams t ON t.stream_id = u.s
    ), moved AS (
      UPDATE ${s}.streams t SET revision = r.cur + r.c, last_position = v_base + r.before + r.c - 1
        FROM r WHERE r.ok AND t.stream_id = r.s
    ), opened AS (
      INSERT INTO ${s}.open_streams (stream_id, opened_at)
      SELECT r.s, v_base + r.before FROM r WHERE r.ok AND r.o = 'open'
      ON CONFLICT DO NOTHING
    ), closed AS (
      DELETE FROM ${s}.open_streams o USING r WHERE r.ok AND r.o = 'close' AND o.stream_id = r.s
    ), stored AS (
      INSERT INTO ${s}.events (position, event_id, stream_id, revision, type, data, metadata)
      SELECT v_base + x.n - 1, x.id, r.s, r.cur + (x.n - r.before), x.type,
             coalesce(p_data -> (x.n::integer - 1), 'null'::jsonb), coalesce(p_metadata -> (x.n::integer - 1), '{}'::jsonb)
        FROM unnest(p_ids, p_types, p_event_stream) WITH ORDINALITY AS x(id, type, si, n)
        JOIN r ON r.k = x.si - 1
       WHERE r.ok
       ORDER BY x.n
    )
    SELECT r.k, CASE WHEN r.ok THEN 'appended' ELSE 'conflict' END,
           CASE WHEN r.ok THEN r.cur + r.c END, CASE WHEN r.ok THEN v_base + r.before + r.c - 1 END,
           r.cur, NULL::uuid
      FROM r ORDER BY r.k;
    RETURN;
  END IF;

  -- Some id is stored already: the general check, stream by stream.

  FOR i IN 1 .. v_n LOOP
    v_stream := p_streams[i];
    v_exp := p_expected[i];
    v_cnt := p_counts[i];
    v_ids := p_ids[v_start[i] : v_start[i] + v_cnt - 1];
    SELECT t.revision, t.last_position INTO v_cur, v_last FROM ${s}.streams t WHERE t.stream_id = v_stream;
    o_k := i - 1;
    o_actual := v_cur;
    o_next_revision := NULL;
    o_position := NULL;
    o_event_id := NULL;
    v_from := NULL;
    -- checkAppend (appendCheck.ts)
    IF v_exp = -2 THEN
      IF v_existing > 0 THEN
        SELECT e.revision - 1 INTO v_from FROM ${s}.events e WHERE e.stream_id = v_stream AND e.event_id = v_ids[1];
      END IF;
      o_outcome := CASE WHEN v_from IS NULL THEN 'append' ELSE 'check' END;
    ELSIF v_exp = v_cur THEN
      o_outcome := 'append';
    ELSE
      v_from := v_exp;
      o_outcome := 'check';
    END IF;

    IF o_outcome = 'check' THEN
      v_same := 0;
      IF v_existing > 0 THEN
        SELECT count(*), max(e.position) FILTER (WHERE e.revision = v_from + v_cnt) INTO v_same, v_pos
          FROM unnest(v_ids) WITH ORDINALITY AS u(id, n)
          JOIN ${s}.events e ON e.event_id = u.id AND e.stream_id = v_stream AND e.revision = v_from + u.n;
      END IF;
      IF v_same = v_cnt THEN
        o_outcome := 'idempotent';
        o_next_revision := v_from + v_cnt;
        o_position := v_pos;
      ELSE
        o_outcome := 'conflict';
      END IF;
    ELSIF v_existing > 0 THEN
      SELECT u.id INTO v_in_use FROM unnest(v_ids) WITH ORDINALITY AS u(id, n)
       WHERE EXISTS (SELECT 1 FROM ${s}.events e WHERE e.event_id = u.id) ORDER BY u.n LIMIT 1;
      IF v_in_use IS NOT NULL THEN
        o_outcome := 'event_id_in_use';
        o_event_id := v_in_use;
        v_in_use := NULL;
      END IF;
    END IF;

    IF o_outcome = 'append' THEN
      -- This transaction got its xid before the one that appended the stream's last event, and
      -- waited for its lock: appending now would put a higher revision at a lower position (a
      -- reader "after the stream's last position" would miss it). Rare (appenders in several
      -- processes racing on one stream with 'any'); retryable: a new transaction has a higher xid.
      IF v_last >= v_base THEN
        RAISE EXCEPTION 'sagaflow: stream % moved to a later position while this append waited for it; retry', v_stream
          USING ERRCODE = 'serialization_failure';
      END IF;
      o_outcome := 'appended';
      v_first[i] := v_cur + 1;
      o_next_revision := v_cur + v_cnt;
      o_position := v_base + v_start[i] + v_cnt - 2;
      UPDATE ${s}.streams SET revision = o_next_revision, last_position = o_position WHERE stream_id = v_stream;

      -- The open-stream index, in the same transaction as the events and under the stream
      -- row's lock (so two appends to one stream never race on its entry). opened_at: the
      -- position of this append's first event; re-opening an open stream keeps its place.
      IF p_open[i] = 'open' THEN
        INSERT INTO ${s}.open_streams (stream_id, opened_at) VALUES (v_stream, v_base + v_start[i] - 1)
        ON CONFLICT DO NOTHING;
      ELSIF p_open[i] = 'close' THEN
        DELETE FROM ${s}.open_streams WHERE stream_id = v_stream;
      END IF;
    END IF;
    RETURN NEXT;
  END LOOP;

  INSERT INTO ${s}.events (position, event_id, stream_id, revision, type, data, metadata)
  SELECT v_base + x.k - 1, x.id, p_streams[x.si], v_first[x.si] + (x.k - v_start[x.si]), x.type,
         coalesce(p_data -> (x.k::integer - 1), 'null'::jsonb), coalesce(p_metadata -> (x.k::integer - 1), '{}'::jsonb)
    FROM unnest(p_ids, p_types, p_event_stream) WITH ORDINALITY AS x(id, type, si, k)
   WHERE v_first[x.si] IS NOT NULL
   ORDER BY x.k;
  RETURN;
END
$fn$;`;
}
