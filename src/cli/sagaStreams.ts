/**
 * Reading saga streams for the CLI: every `saga-` stream in position order, each parsed and
 * folded. A stream that cannot be parsed is reported, not thrown, so one corrupt stream does
 * not hide the others.
 */
import { isSagaError } from '../core/errors.js';
import type { SagaEvent } from '../core/events.js';
import { parseSagaEvent } from '../core/events.js';
import { fold } from '../core/evolve.js';
import type { SagaState } from '../core/sagaState.js';
import { SAGA_STREAM_PREFIX, sagaIdOf, sagaStreamId } from '../runtime/sagaStream.js';
import type { EventStore, RecordedEvent } from '../stores/eventStore.js';

/** One saga's stream, parsed and folded. */
export interface SagaStream {
  /** The saga's id. */
  sagaId: string;
  /** Its stream, `saga-<sagaId>`. */
  streamId: string;
  /** The stream's events as stored. */
  recorded: RecordedEvent[];
  /** Undefined when an event could not be parsed (see `error`) or there is no SagaStarted. */
  state: SagaState | undefined;
  /** Parsed events, in order; only those before the first unparsable one when `error` is set. */
  events: SagaEvent[];
  /** Why the stream could not be fully parsed. */
  error: string | undefined;
}

const PAGE = 1_000;

/** Parses and folds recorded events of one stream. Pure. */
export function toSagaStream(streamId: string, recorded: RecordedEvent[]): SagaStream {
  const events: SagaEvent[] = [];
  let error: string | undefined;
  for (const r of recorded) {
    try {
      events.push(parseSagaEvent(r, { streamId, revision: r.revision }));
    } catch (e) {
      error = isSagaError(e) || e instanceof Error ? e.message : String(e);
      break;
    }
  }
  return { sagaId: sagaIdOf(streamId), streamId, recorded, state: error ? undefined : fold(events), events, error };
}

/** Every saga stream in the store, in the order the sagas started. */
export async function readAllSagaStreams(store: EventStore): Promise<SagaStream[]> {
  const byStream = new Map<string, RecordedEvent[]>();
  let after = 0;
  for (;;) {
    const page = await store.readAll({ after, streamPrefix: SAGA_STREAM_PREFIX, maxCount: PAGE });
    for (const event of page) {
      const list = byStream.get(event.streamId) ?? [];
      list.push(event);
      byStream.set(event.streamId, list);
    }
    const last = page.at(-1);
    if (!last || page.length < PAGE) break;
    after = last.position;
  }
  // Maps keep insertion order: streams come in the order of their first event's position.
  return [...byStream.entries()].map(([streamId, recorded]) =>
    toSagaStream(
      streamId,
      recorded.sort((a, b) => a.revision - b.revision),
    ),
  );
}

/** One saga's stream, or undefined when the stream is empty. */
export async function readSagaStream(store: EventStore, sagaId: string): Promise<SagaStream | undefined> {
  const streamId = sagaStreamId(sagaId);
  const recorded = await store.readStream(streamId);
  return recorded.length === 0 ? undefined : toSagaStream(streamId, recorded);
}
