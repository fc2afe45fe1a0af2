/**
 * How a saga lives in the store: one stream `saga-<sagaId>`, events with a schema version in
 * their metadata, and loading by snapshot + later events.
 */
import type { SagaEvent } from '../core/events.js';
import { EVENT_SCHEMA_VERSION, eventDataSchemas, parseSagaEvent } from '../core/events.js';
import { evolve, fold } from '../core/evolve.js';
import type { SagaState } from '../core/sagaState.js';
import type { EventStore, Json, NewEvent, RecordedEvent } from '../stores/eventStore.js';
import { newId } from './ids.js';

/** EventStoreDB's category projection splits on the first '-': the category is `saga`. */
export const SAGA_STREAM_PREFIX = 'saga-';

/** The stream of a saga: `saga-<sagaId>`. */
export function sagaStreamId(sagaId: string): string {
  return `${SAGA_STREAM_PREFIX}${sagaId}`;
}

/** The saga id of a saga stream (the stream id itself when it lacks the `saga-` prefix). */
export function sagaIdOf(streamId: string): string {
  return streamId.startsWith(SAGA_STREAM_PREFIX) ? streamId.slice(SAGA_STREAM_PREFIX.length) : streamId;
}

/**
 * Whether the runtime re-validates the events it builds before appending them. They are built
 * by typed code from validated inputs, and every stored event is validated again when read,
 * so the hot path skips it; the test suite turns it on (SAGAFLOW_VALIDATE_EVENTS=1) so that a
 * bug that builds an invalid event fails there, before it reaches a log.
 */
export const VALIDATE_EVENTS_BY_DEFAULT = process.env['SAGAFLOW_VALIDATE_EVENTS'] === '1';

/** Throws a TypeError (permanent for the port: the saga is parked, not retried) for an invalid event. */
export function assertValidEvents(events: readonly SagaEvent[]): void {
  for (const event of events) {
    const check = eventDataSchemas[event.type].safeParse(event.data);
    if (!check.success) throw new TypeError(`bug: refusing to append an invalid ${event.type}: ${check.error.message}`);
  }
}

/**
 * Wraps saga events for the store with fresh v7 ids (the idempotency keys of the append) and
 * the schema version. `validate` checks each against its schema first (see above).
 */
export function toNewEvents(events: readonly SagaEvent[], metadata: Record<string, Json>, validate = VALIDATE_EVENTS_BY_DEFAULT): NewEvent[] {
  if (validate) assertValidEvents(events);
  const first = newId();
  // `append` is the id of the batch's first event: it tells an auditor (and the tests) which
  // events were made durable together, i.e. which states a crash could have left behind.
  const shared: Record<string, Json> = Object.assign({}, metadata);
  shared['append'] = first;
  shared['schemaVersion'] = EVENT_SCHEMA_VERSION;
  return events.map((event, i) => ({ id: i === 0 ? first : newId(), type: event.type, data: event.data as Json, metadata: shared }));
}

/** Parses a stored event, naming the stream and revision when it is corrupted. */
export function parseRecorded(recorded: RecordedEvent): SagaEvent {
  return parseSagaEvent(recorded, { streamId: recorded.streamId, revision: recorded.revision });
}

/** What {@link loadSaga} returns. */
export interface LoadedSaga {
  /** The folded state; undefined when the stream is empty or has no `SagaStarted`. */
  state: SagaState | undefined;
  /** Revision of the stream's last event; -1 when the stream does not exist. */
  revision: number;
  /** Events read to build the state (after the snapshot, when one was used). */
  eventsRead: number;
  /** Whether a checkpoint's snapshot was the starting point. */
  fromSnapshot: boolean;
}

const PAGE = 64;

function snapshotOf(recorded: RecordedEvent): SagaState | undefined {
  const data = recorded.data as { snapshot?: unknown } | null;
  const snap = data?.snapshot as SagaState | null | undefined;
  // A snapshot is a cache: anything that does not look like a state is ignored, and we fold in full.
  return snap && typeof snap === 'object' && typeof snap.sagaId === 'string' && Array.isArray(snap.steps) ? snap : undefined;
}

/**
 * Loads a saga: reads backwards to the latest checkpoint, starts from its snapshot and folds
 * the events after it. Without a usable snapshot, folds the whole stream.
 *
 * @throws {@link CorruptedEventError} (`EVENT_CORRUPTED`) for an unknown or malformed event.
 */
export async function loadSaga(store: EventStore, sagaId: string): Promise<LoadedSaga> {
  const streamId = sagaStreamId(sagaId);
  const tail: RecordedEvent[] = [];
  let from: number | undefined;
  for (;;) {
    const page = await store.readStream(streamId, { direction: 'backwards', maxCount: PAGE, ...(from === undefined ? {} : { fromRevision: from }) });
    for (const recorded of page) {
      if (recorded.type === 'CheckpointRecorded') {
        const snapshot = snapshotOf(recorded);
        if (snapshot) {
          const events = tail.reverse();
          const state = fold(events.map(parseRecorded), evolve(snapshot, parseRecorded(recorded)));
          const revision = events.at(-1)?.revision ?? recorded.revision;
          return { state, revision, eventsRead: events.length + 1, fromSnapshot: true };
        }
      }
      tail.push(recorded);
    }
    const last = page.at(-1);
    if (page.length < PAGE || !last || last.revision === 0) break;
    from = last.revision - 1;
  }
  const events = tail.reverse();
  return { state: fold(events.map(parseRecorded)), revision: events.at(-1)?.revision ?? -1, eventsRead: events.length, fromSnapshot: false };
}

/** Reads and parses a whole stream up to `toRevision` (inclusive). */
export async function readSagaEvents(store: EventStore, sagaId: string, toRevision?: number): Promise<{ recorded: RecordedEvent; event: SagaEvent }[]> {
  const recorded = await store.readStream(sagaStreamId(sagaId));
  return recorded.filter((r) => toRevision === undefined || r.revision <= toRevision).map((r) => ({ recorded: r, event: parseRecorded(r) }));
}
