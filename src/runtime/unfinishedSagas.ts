/** Finds the sagas a restarted engine must resume: every stream whose last event is not terminal. */
import { TERMINAL_EVENT_TYPES } from '../core/events.js';
import type { EventStore } from '../stores/eventStore.js';
import { SAGA_STREAM_PREFIX, sagaIdOf } from './sagaStream.js';

const PAGE = 1_000;

export interface UnfinishedSagas {
  /** Saga ids whose streams do not end in a terminal event, oldest first. */
  sagaIds: string[];
  /** Position of the last saga event read: a subscription from here misses nothing. */
  lastPosition: number;
}

/** Scans every saga stream once. */
export async function findUnfinishedSagas(store: EventStore): Promise<UnfinishedSagas> {
  const last = new Map<string, { first: number; terminal: boolean }>();
  let after = 0;
  for (;;) {
    const page = await store.readAll({ after, streamPrefix: SAGA_STREAM_PREFIX, maxCount: PAGE });
    for (const event of page) {
      const seen = last.get(event.streamId);
      last.set(event.streamId, { first: seen?.first ?? event.position, terminal: TERMINAL_EVENT_TYPES.has(event.type) });
    }
    const tail = page.at(-1);
    if (tail) after = tail.position;
    if (!tail || page.length < PAGE) break;
  }
  const sagaIds = [...last.entries()]
    .filter(([, v]) => !v.terminal)
    .sort((a, b) => a[1].first - b[1].first)
    .map(([streamId]) => sagaIdOf(streamId));
  return { sagaIds, lastPosition: after };
}
