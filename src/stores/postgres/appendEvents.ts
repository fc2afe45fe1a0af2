/**
 * One call of the server-side `append_batch` (appendFunctionSql.ts): a batch of appends to
 * distinct streams, as ONE prepared statement in autocommit, so ONE transaction and ONE WAL
 * flush, with an outcome per append. The expected-revision check, the idempotent re-append,
 * the stream row, the open-stream index entry and the events insert all run inside the function,
 * under the stream rows' locks.
 *
 * Ordering needs no global lock: positions derive from the writing transaction's xid and
 * readers only return positions below their snapshot's xmin (postgresEventStore.ts readPage),
 * so appends to different streams commit in parallel and PostgreSQL's group commit can batch
 * their flushes.
 */
import type pg from 'pg';
import { conflictError } from '../appendCheck.js';
import type { AppendResult, EncodedEvent, ExpectedRevision, NewEvent } from '../eventStore.js';
import type { OpenStreamPlanner } from '../openStreamIndex.js';

/** Where to append: the quoted schema, its plain name and its NOTIFY channel. */
export interface AppendTarget {
  schema: string;
  schemaName: string;
  channel: string;
}

/** One append of a batch (validated; its stream appears once in the batch). */
export interface AppendRequest {
  streamId: string;
  events: readonly NewEvent[];
  expected: ExpectedRevision;
  /** The events' data and metadata as JSON (encodeEvents), made once for the size check and the statement. */
  encoded: readonly EncodedEvent[];
}

/** Per append: its result, or the conflict error to reject it with. */
export type AppendOutcome = { ok: true; result: AppendResult; appended: boolean } | { ok: false; error: Error };

interface OutcomeRow {
  o_k: number;
  o_outcome: 'appended' | 'idempotent' | 'conflict' | 'event_id_in_use';
  o_next_revision: string | null;
  o_position: string | null;
  o_actual: string;
  o_event_id: string | null;
}

const encodeExpected = (expected: ExpectedRevision): number => (expected === 'no_stream' ? -1 : expected === 'any' ? -2 : expected);

/** The statement, prepared once per connection (pg named query). */
function statementText(schema: string): string {
  const params = Array.from({ length: 9 }, (_, i) => `$${i + 1}`).join(', ');
  return `SELECT o_k, o_outcome, o_next_revision, o_position, o_actual, o_event_id FROM ${schema}.append_batch(${params})`;
}

/**
 * Runs one batch on `client` (autocommit). Throws only when the statement fails as a whole.
 * `planner` (the open-stream index's, if installed) is pure on the events, so its verdicts are
 * computed here and applied by the function, in the append's transaction.
 */
export async function appendBatch(
  client: pg.PoolClient,
  target: AppendTarget,
  batch: readonly AppendRequest[],
  planner: OpenStreamPlanner | undefined,
): Promise<AppendOutcome[]> {
  const ids: string[] = [];
  const types: string[] = [];
  const eventStream: number[] = [];
  const data: string[] = [];
  const metadata: string[] = [];
  const open = batch.map((request) => planner?.(request.streamId, request.events) ?? null);
  batch.forEach((request, i) => {
    request.events.forEach((event, j) => {
      const json = request.encoded[j] as EncodedEvent;
      ids.push(event.id);
      types.push(event.type);
      eventStream.push(i + 1);
      data.push(json.data);
      metadata.push(json.metadata);
    });
  });
  const { rows } = await client.query<OutcomeRow>({
    name: `sagaflow_append_batch`,
    text: statementText(target.schema),
    values: [
      batch.map((r) => r.streamId),
      batch.map((r) => encodeExpected(r.expected)),
      batch.map((r) => r.events.length),
      ids,
      types,
      eventStream,
      // JSON arrays of the events' own JSON: nothing is stringified twice.
      `[${data.join(',')}]`,
      `[${metadata.join(',')}]`,
      open,
    ],
  });
  const outcomes: AppendOutcome[] = new Array(batch.length);
  for (const row of rows) {
    const request = batch[row.o_k];
    // The function answers once per request it was given, by index: anything else is a bug.
    if (!request) throw new Error(`append_batch answered for request ${row.o_k} of ${batch.length}`);
    const current = Number(row.o_actual);
    switch (row.o_outcome) {
      case 'appended':
      case 'idempotent':
        outcomes[row.o_k] = {
          ok: true,
          appended: row.o_outcome === 'appended',
          result: { nextRevision: Number(row.o_next_revision), position: Number(row.o_position) },
        };
        break;
      case 'conflict':
        outcomes[row.o_k] = { ok: false, error: conflictError(request.streamId, request.expected, current) };
        break;
      case 'event_id_in_use':
        outcomes[row.o_k] = {
          ok: false,
          error: conflictError(request.streamId, request.expected, current, {
            reason: 'event_id_in_use',
            ...(row.o_event_id ? { eventId: row.o_event_id } : {}),
          }),
        };
        break;
    }
  }
  if (outcomes.some((o) => o === undefined) || outcomes.length !== batch.length) {
    throw new Error(`append_batch returned ${rows.length} outcomes for ${batch.length} appends`);
  }
  return outcomes;
}

/**
 * A single append whose statement failed as a whole: a unique violation on event_id means
 * another transaction stored one of its ids between our check and our insert (the check in
 * the function covers everything committed before it): the same conflict as a stored id.
 */
export function appendFailure(request: AppendRequest, error: unknown): Error | undefined {
  const pgError = error as { code?: string; constraint?: string; detail?: string };
  if (pgError.code === '23505' && pgError.constraint === 'events_event_id_key') {
    const eventId = /\(event_id\)=\(([^)]+)\)/.exec(pgError.detail ?? '')?.[1];
    return Object.assign(conflictError(request.streamId, request.expected, -1, { reason: 'event_id_in_use', ...(eventId ? { eventId } : {}) }), {
      cause: error,
    });
  }
  return undefined;
}
