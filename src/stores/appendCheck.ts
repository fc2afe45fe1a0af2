/**
 * The expected-revision and idempotency decision of an append, shared by the adapters that
 * implement it themselves (inMemory, sqlite; postgres may too), so that they all follow
 * EventStoreDB's rules to the letter. Pure: the adapter supplies a view of the stream, taken
 * inside its write lock or transaction, and performs the write.
 */
import { StreamVersionConflictError } from '../core/errors.js';
import type { AppendResult, ExpectedRevision } from './eventStore.js';

/** What `checkAppend` needs to know about the target stream, read under the adapter's write lock. */
export interface StreamView {
  /** Revision of the stream's last event, or -1 when the stream does not exist. */
  readonly lastRevision: number;
  /** Id and global position of the event at `revision` of this stream, if there is one. */
  at(revision: number): { id: string; position: number } | undefined;
  /** Revision of the event with this id in this stream, if it is there (used for `'any'`). */
  revisionOf(id: string): number | undefined;
}

/** Either write the batch at `firstRevision`, or return the result of the earlier identical append. */
export type AppendCheck = { kind: 'append'; firstRevision: number } | { kind: 'idempotent'; result: AppendResult };

/**
 * Decides an append the way EventStoreDB does:
 * - the expected revision matches the stream: append;
 * - it does not, but the events right after the expected revision carry exactly the batch's
 *   ids, in order: the batch was already appended (a retry after a lost reply), so succeed
 *   with the original result and store nothing;
 * - `'any'`: if the first id is already in the stream, the same idempotency check applies
 *   from there;
 * - otherwise: StreamVersionConflictError with `details { streamId, expected, actual }`.
 *
 * Pure; throws only the conflict error.
 */
export function checkAppend(streamId: string, ids: readonly string[], expected: ExpectedRevision, stream: StreamView): AppendCheck {
  const current = stream.lastRevision;
  let start: number;
  if (expected === 'any') {
    const found = ids[0] === undefined ? undefined : stream.revisionOf(ids[0]);
    if (found === undefined) return { kind: 'append', firstRevision: current + 1 };
    start = found - 1;
  } else {
    start = expected === 'no_stream' ? -1 : expected;
    if (start === current) return { kind: 'append', firstRevision: current + 1 };
  }
  const last = start + ids.length;
  const same = ids.every((id, i) => stream.at(start + 1 + i)?.id === id);
  const lastEvent = stream.at(last);
  if (same && lastEvent) return { kind: 'idempotent', result: { nextRevision: last, position: lastEvent.position } };
  throw conflictError(streamId, expected, current);
}

/** The conflict error every adapter throws, with the details tests and operators rely on. */
export function conflictError(
  streamId: string,
  expected: ExpectedRevision,
  current: number,
  extra: { reason?: string; eventId?: string } = {},
): StreamVersionConflictError {
  const actual = current < 0 ? 'no_stream' : current;
  const why =
    extra.reason === 'event_id_in_use'
      ? `event id ${extra.eventId ?? '?'} is already stored by another append`
      : `expected revision ${String(expected)} but the stream is at ${String(actual)}`;
  return new StreamVersionConflictError(`Append to ${streamId} conflicts: ${why}. Another writer moved the stream: reload, fold and decide again.`, {
    details: { streamId, expected, actual, ...extra },
  });
}
