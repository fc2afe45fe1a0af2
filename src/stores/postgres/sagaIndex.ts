/**
 * The `sagas` table: an index of unfinished sagas that workers claim with
 * `FOR UPDATE SKIP LOCKED`, like the seed's auto-recovery job. Appends maintain it in their
 * own transaction (append_batch applies the change planned here), so it never disagrees with
 * the log it was derived from.
 */
import type pg from 'pg';
import type { SagaEventType } from '../../core/events.js';
import type { Json, NewEvent } from '../eventStore.js';

/** One row of the `sagas` table, as `claimRunnableSagas` returns it. */
export interface ClaimedSaga {
  /** The saga's id. */
  sagaId: string;
  /** Its stream, `saga-<sagaId>`. */
  streamId: string;
  /** `'running'` (claimable when due and unleased) or `'parked'` (failed, needs attention). */
  status: string;
  /** ISO-8601; null when the saga waits for an operator. */
  nextRunAt: string | null;
  /** The worker holding the saga's lease, null when none does. */
  leaseOwner: string | null;
  /** ISO-8601. */
  leaseUntil: string | null;
}

/** What a batch of events does to a saga's row. `'now'` means the database's clock. */
export interface SagaIndexChange {
  /** The saga's id. */
  sagaId: string;
  /** Its stream. */
  streamId: string;
  /** SagaStarted: create the row. */
  create: boolean;
  /** SagaCompleted / SagaCompensated: the saga is finished; drop the row. */
  remove: boolean;
  /** The row's new status; absent: unchanged. */
  status?: 'running' | 'parked';
  /** When the saga is next due; null: never (parked); absent: unchanged. */
  nextRunAt?: Date | 'now' | null;
  /** The lease of the attempt started in the batch (the last one); absent: unchanged. */
  lease?: {
    /** The worker (`StepStarted.worker`). */
    owner: string;
    /** Its end (`StepStarted.leaseUntil`). */
    until: Date;
  };
}

const SAGA_PREFIX = 'saga-';

/** The event types the index reacts to; `satisfies` keeps them in step with src/core/events.ts. */
const T = {
  started: 'SagaStarted',
  completed: 'SagaCompleted',
  compensated: 'SagaCompensated',
  parked: 'SagaFailed',
  resumed: 'SagaResumed',
  cancel: 'SagaCancelRequested',
  retry: 'RetryScheduled',
  stepStarted: 'StepStarted',
  compensationStarted: 'CompensationStarted',
} as const satisfies Record<string, SagaEventType>;

function field(data: Json, name: string): Json | undefined {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? data[name] : undefined;
}

/** A time in ms since the epoch (how core records `at`, `dueAt`, `leaseUntil`); undefined if absent or malformed. */
function timeField(data: Json, name: string): Date | undefined {
  const value = field(data, name);
  return typeof value === 'number' && Number.isFinite(value) ? new Date(value) : undefined;
}

function leaseOf(data: Json): SagaIndexChange['lease'] {
  const owner = field(data, 'worker');
  const until = timeField(data, 'leaseUntil');
  return typeof owner === 'string' && until ? { owner, until } : undefined;
}

/**
 * Pure: folds one append's events into the change of the saga's row, or undefined when the
 * stream is not a saga stream or nothing relevant happened. Malformed fields are ignored
 * rather than failing the append: the index is a cache, the log is the truth.
 */
export function planSagaIndexChange(streamId: string, events: readonly NewEvent[]): SagaIndexChange | undefined {
  if (!streamId.startsWith(SAGA_PREFIX)) return undefined;
  const change: SagaIndexChange = { sagaId: streamId.slice(SAGA_PREFIX.length), streamId, create: false, remove: false };
  for (const event of events) {
    switch (event.type) {
      case T.started:
        Object.assign(change, { create: true, remove: false, status: 'running', nextRunAt: 'now' });
        break;
      case T.completed:
      case T.compensated:
        change.remove = true;
        break;
      case T.parked: // needs an operator: kept, but never claimed until SagaResumed
        Object.assign(change, { status: 'parked', nextRunAt: null });
        break;
      case T.resumed:
      case T.cancel:
        Object.assign(change, { status: 'running', nextRunAt: 'now' });
        break;
      case T.retry:
        change.nextRunAt = timeField(event.data, 'dueAt') ?? 'now';
        break;
      case T.stepStarted:
      case T.compensationStarted: {
        // The worker's lease is recorded in the log; mirror it so others do not claim the saga.
        const lease = leaseOf(event.data);
        if (lease) change.lease = lease;
        break;
      }
      default:
        break; // progress under the worker's lease: the row stays as it is
    }
  }
  const touched = change.create || change.remove || change.status !== undefined || change.nextRunAt !== undefined || change.lease !== undefined;
  return touched ? change : undefined;
}

/** A change as the columns append_batch takes (p_saga_*), or all nulls for none. */
export interface SagaIndexParams {
  sagaId: string | null;
  op: 'create' | 'update' | 'remove' | null;
  status: string | null;
  /** What to do with next_run_at: keep it, set it to the db clock, clear it, or set `nextAt`. */
  next: 'keep' | 'now' | 'clear' | 'at' | null;
  nextAt: string | null;
  leaseOwner: string | null;
  leaseUntil: string | null;
}

/** Pure: encodes a planned change for append_batch, which applies it in the append's transaction. */
export function sagaIndexParams(change: SagaIndexChange | undefined): SagaIndexParams {
  if (!change) return { sagaId: null, op: null, status: null, next: null, nextAt: null, leaseOwner: null, leaseUntil: null };
  const next = change.nextRunAt;
  return {
    sagaId: change.sagaId,
    op: change.remove ? 'remove' : change.create ? 'create' : 'update',
    status: change.status ?? null,
    next: next === undefined ? 'keep' : next === 'now' ? 'now' : next === null ? 'clear' : 'at',
    nextAt: next instanceof Date ? next.toISOString() : null,
    leaseOwner: change.lease?.owner ?? null,
    leaseUntil: change.lease?.until.toISOString() ?? null,
  };
}

interface SagaRow {
  saga_id: string;
  stream_id: string;
  status: string;
  next_run_at: Date | null;
  lease_owner: string | null;
  lease_until: Date | null;
}

function toClaimed(row: SagaRow): ClaimedSaga {
  return {
    sagaId: row.saga_id,
    streamId: row.stream_id,
    status: row.status,
    nextRunAt: row.next_run_at?.toISOString() ?? null,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until?.toISOString() ?? null,
  };
}

/**
 * Leases up to `limit` running sagas that are due and not leased by someone else, for
 * `leaseMs`. Rows another worker is claiming right now are skipped (SKIP LOCKED), not waited for.
 */
export async function claimRunnableSagas(pool: pg.Pool, schema: string, limit: number, leaseMs: number, owner: string): Promise<ClaimedSaga[]> {
  const { rows } = await pool.query<SagaRow>(
    `WITH due AS (
       SELECT saga_id FROM ${schema}.sagas
        WHERE status = 'running'
          AND (next_run_at IS NULL OR next_run_at <= now())
          AND (lease_until IS NULL OR lease_until <= now() OR lease_owner = $3)
        ORDER BY next_run_at NULLS FIRST, saga_id
        LIMIT $1
        FOR UPDATE SKIP LOCKED)
     UPDATE ${schema}.sagas s
        SET lease_owner = $3, lease_until = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
       FROM due WHERE s.saga_id = due.saga_id
     RETURNING s.saga_id, s.stream_id, s.status, s.next_run_at, s.lease_owner, s.lease_until`,
    [limit, leaseMs, owner],
  );
  return rows.map(toClaimed).sort((a, b) => (a.nextRunAt ?? '').localeCompare(b.nextRunAt ?? ''));
}

/** Gives a lease back early (the worker is done with the saga for now). True if `owner` held it. */
export async function releaseSagaLease(pool: pg.Pool, schema: string, sagaId: string, owner: string): Promise<boolean> {
  const result = await pool.query(
    `UPDATE ${schema}.sagas SET lease_owner = NULL, lease_until = NULL, updated_at = now() WHERE saga_id = $1 AND lease_owner = $2`,
    [sagaId, owner],
  );
  return (result.rowCount ?? 0) > 0;
}
