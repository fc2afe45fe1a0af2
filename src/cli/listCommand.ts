/**
 * `sagaflow list`: the sagas of a store, oldest first, filtered by status, saga name and start
 * time, a page at a time. The scan reads the log in position order with the store's batched
 * `readAll` (saga streams only) and folds only the sagas that pass the cheap filters (name,
 * start time, both in `SagaStarted`). The cursor is the position of the last saga listed.
 */
import type { SagaState } from '../core/sagaState.js';
import { SAGA_STREAM_PREFIX, sagaIdOf } from '../runtime/sagaStream.js';
import type { EventStore } from '../stores/eventStore.js';
import type { CliIo } from './cliIo.js';
import { ExitCode, table } from './cliIo.js';
import type { SagaStream } from './sagaStreams.js';
import { readSagaStream } from './sagaStreams.js';

import type { ListStatus } from './cliOptions.js';

export { LIST_STATUSES, type ListStatus } from './cliOptions.js';

/** Options of {@link listSagas}. */
export interface ListOptions {
  /** Only sagas with one of these statuses (`parked` = `failed`). @default any */
  status?: readonly ListStatus[];
  /** Only sagas of this definition: a name, or `name@version`. @default any */
  saga?: string;
  /** Only sagas started at or after this time, in ms since the epoch. @default any */
  since?: number;
  /** Most sagas on one page. @default 100 */
  limit?: number;
  /** The `nextCursor` of the previous page. @default the start of the log */
  cursor?: number;
}

/** One saga as `list` shows it. */
export interface SagaSummary {
  /** The saga's id. */
  sagaId: string;
  /** The definition's name (from `SagaStarted`), null when unreadable. */
  saga: string | null;
  /** The definition's version, null when unreadable. */
  version: number | null;
  /** Its status, or `unreadable` when its stream cannot be parsed. */
  status: string;
  /** Parked and waiting for an operator. */
  needsAttention: boolean;
  /** Steps that succeeded, of all steps. */
  succeeded: number;
  /** Steps in the definition. */
  steps: number;
  /** Steps compensated so far, of those planned; null when the saga never compensated. */
  compensated: {
    /** Compensations that succeeded. */
    done: number;
    /** Compensations in the plan. */
    planned: number;
  } | null;
  /** Events in its stream. */
  events: number;
  /** When it started, ISO-8601; null when unknown. */
  startedAt: string | null;
  /** Why the stream cannot be read, when it cannot. */
  problem?: string;
}

/** A page of {@link listSagas}. */
export interface SagaPage {
  /** The sagas, oldest first. */
  sagas: SagaSummary[];
  /** Pass it as `cursor` for the next page; null when the log was read to its end. */
  nextCursor: number | null;
}

const PAGE = 5_000;

/** The summary of one folded stream. Pure. */
export function summarize(stream: SagaStream): SagaSummary {
  const state: SagaState | undefined = stream.state;
  return {
    sagaId: stream.sagaId,
    saga: state?.saga ?? null,
    version: state?.version ?? null,
    status: stream.error || !state ? 'unreadable' : state.status,
    needsAttention: state?.needsAttention ?? false,
    succeeded: state?.succeeded.length ?? 0,
    steps: state?.steps.length ?? 0,
    compensated: state?.compensation ? { done: state.compensation.done.length, planned: state.compensation.plan.length } : null,
    events: stream.recorded.length,
    startedAt: state ? new Date(state.startedAt).toISOString() : null,
    ...(stream.error ? { problem: stream.error } : !state ? { problem: 'no SagaStarted event' } : {}),
  };
}

function matchesStatus(summary: SagaSummary, wanted: readonly ListStatus[] | undefined): boolean {
  if (!wanted || wanted.length === 0) return true;
  return wanted.some((s) => (s === 'parked' ? summary.status === 'failed' : s === summary.status));
}

/** One page of the store's sagas, oldest first. Reads only; appends nothing. */
export async function listSagas(store: EventStore, options: ListOptions = {}): Promise<SagaPage> {
  const limit = Math.max(1, options.limit ?? 100);
  const sagas: SagaSummary[] = [];
  let after = options.cursor ?? 0;
  for (;;) {
    const page = await store.readAll({ after, streamPrefix: SAGA_STREAM_PREFIX, maxCount: PAGE });
    for (const event of page) {
      if (event.revision !== 0) continue;
      const started = event.data as { saga?: unknown; version?: unknown; at?: unknown } | null;
      if (options.saga !== undefined) {
        const name = `${String(started?.saga)}@${String(started?.version)}`;
        if (options.saga !== started?.saga && options.saga !== name) continue;
      }
      if (options.since !== undefined && !(typeof started?.at === 'number' && started.at >= options.since)) continue;
      const stream = await readSagaStream(store, sagaIdOf(event.streamId));
      if (!stream) continue;
      const summary = summarize(stream);
      if (!matchesStatus(summary, options.status)) continue;
      sagas.push(summary);
      if (sagas.length >= limit) return { sagas, nextCursor: event.position };
    }
    const last = page.at(-1);
    if (!last || page.length < PAGE) return { sagas, nextCursor: null };
    after = last.position;
  }
}

function statusText(s: SagaSummary): string {
  return s.needsAttention ? `${s.status} (needs attention)` : s.status;
}

function progressText(s: SagaSummary): string {
  if (s.status === 'unreadable') return s.problem ?? '';
  const undone = s.compensated ? `, ${s.compensated.done}/${s.compensated.planned} compensated` : '';
  return `${s.succeeded}/${s.steps} steps${undone}`;
}

/** `sagaflow list`: prints a page of sagas (text or JSON). */
export async function listCommand(store: EventStore, io: CliIo, options: ListOptions & { json?: boolean } = {}): Promise<ExitCode> {
  const { sagas, nextCursor } = await listSagas(store, options);
  if (options.json) {
    io.out(JSON.stringify({ sagas, nextCursor: nextCursor === null ? null : String(nextCursor) }, null, 2));
    return ExitCode.Ok;
  }
  const filtered = options.status !== undefined || options.saga !== undefined || options.since !== undefined || options.cursor !== undefined;
  if (sagas.length === 0) {
    io.out(filtered ? 'No sagas match.' : 'No sagas in this store.');
    return ExitCode.Ok;
  }
  const rows = sagas.map((s) => [s.sagaId, s.saga ? `${s.saga}@${s.version}` : '?', statusText(s), progressText(s), String(s.events), s.startedAt ?? '']);
  for (const line of table([['saga id', 'saga', 'status', 'progress', 'events', 'started'], ...rows])) io.out(line);
  io.out(nextCursor === null ? `${sagas.length} saga(s)` : `${sagas.length} saga(s); more with --cursor ${nextCursor}`);
  return ExitCode.Ok;
}
