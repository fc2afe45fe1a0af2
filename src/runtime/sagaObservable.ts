/**
 * rxjs views of saga events. `observeSaga` reads the stored history, then follows the store's
 * all-events subscription filtered to the saga's stream, so it also sees what other processes
 * append.
 */
import { Observable } from 'rxjs';
import { TERMINAL_EVENT_TYPES } from '../core/events.js';
import type { EventStore, Json, RecordedEvent, Subscription } from '../stores/eventStore.js';
import { sagaIdOf, sagaStreamId } from './sagaStream.js';

/** One event of one saga, as observers see it. */
export interface SagaEventRecord {
  /** The saga's id. */
  sagaId: string;
  /** Its stream, `saga-<sagaId>`. */
  streamId: string;
  /** The event's revision in the stream, from 0. */
  revision: number;
  /** The event type (a {@link SagaEventType}). */
  type: string;
  /** The event's data, as stored (see {@link eventDataSchemas}). */
  data: Json;
  /** The event's metadata: `sagaId`, `saga`, `worker`, `append` (id of the batch's first event), `schemaVersion`. */
  metadata: Record<string, Json>;
  /** When the store recorded it, ISO-8601. */
  recordedAt: string;
}

/** The observer's view of a stored saga event. */
export function toSagaEventRecord(e: RecordedEvent): SagaEventRecord {
  return {
    sagaId: sagaIdOf(e.streamId),
    streamId: e.streamId,
    revision: e.revision,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt,
  };
}

/** The saga's stored events, then its live ones (from any process), in revision order; completes at a terminal event. */
export function observeSaga(store: EventStore, sagaId: string): Observable<SagaEventRecord> {
  const streamId = sagaStreamId(sagaId);
  return new Observable<SagaEventRecord>((subscriber) => {
    let last = -1;
    let live: Subscription | undefined;
    const emit = (event: RecordedEvent): void => {
      // The history read and the subscription overlap at the switch: revisions dedupe them.
      if (subscriber.closed || event.streamId !== streamId || event.revision <= last) return;
      last = event.revision;
      subscriber.next(toSagaEventRecord(event));
      if (TERMINAL_EVENT_TYPES.has(event.type)) subscriber.complete();
    };
    store.readStream(streamId).then(
      (stored) => {
        stored.forEach(emit);
        if (subscriber.closed) return;
        live = store.subscribeToAll({
          after: stored.at(-1)?.position ?? 0,
          streamPrefix: streamId,
          onEvent: emit,
          onError: (error) => subscriber.error(error),
        });
      },
      (error: unknown) => subscriber.error(error),
    );
    return () => void live?.unsubscribe().catch(() => {});
  });
}
