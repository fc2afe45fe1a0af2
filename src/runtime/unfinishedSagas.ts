/**
 * Finds the sagas a restarted engine must resume: every saga stream whose last event is not
 * terminal. From the store's open-stream index when it keeps one (reading only the open
 * sagas: start-up does not grow with finished ones), else by scanning the log.
 */
import { TERMINAL_EVENT_TYPES } from '../core/events.js';
import type { EventStore, NewEvent, OpenStreamChange } from '../stores/eventStore.js';
import { SAGA_STREAM_PREFIX, sagaIdOf } from './sagaStream.js';

const PAGE = 1_000;

export interface UnfinishedSagas {
  /** Saga ids whose streams do not end in a terminal event, oldest first. */
  sagaIds: string[];
  /** A position of the log: a subscription from here misses nothing these ids do not cover. */
  lastPosition: number;
}

/**
 * What an append does to the open-stream index: a saga stream is open from its first event
 * until a terminal one (completed, compensated, parked), and open again when resumed.
 */
export function sagaOpenStreamPlanner(streamId: string, events: readonly NewEvent[]): OpenStreamChange {
  const last = events.at(-1);
  if (!last || !streamId.startsWith(SAGA_STREAM_PREFIX)) return undefined;
  return TERMINAL_EVENT_TYPES.has(last.type) ? 'close' : 'open';
}

export async function findUnfinishedSagas(store: EventStore): Promise<UnfinishedSagas> {
  const index = store.openStreams;
  if (!index) return (await scanLog(store)).found;
  const first = await index.list({ streamPrefix: SAGA_STREAM_PREFIX, limit: PAGE });
  if (!first.complete) {
    // A store with history from before its index: scan once, then the index is complete.
    const { found, open } = await scanLog(store);
    await index.adopt(open, found.lastPosition);
    return found;
  }
  const streamIds = [...first.streamIds];
  for (let after = first.next; after !== undefined; ) {
    const page = await index.list({ streamPrefix: SAGA_STREAM_PREFIX, limit: PAGE, after });
    streamIds.push(...page.streamIds);
    after = page.next;
  }
  return { sagaIds: streamIds.map(sagaIdOf), lastPosition: first.position };
}

/** Reads every saga event once. */
async function scanLog(store: EventStore): Promise<{ found: UnfinishedSagas; open: { streamId: string; openedAt: number }[] }> {
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
  const open = [...last.entries()]
    .filter(([, v]) => !v.terminal)
    .sort((a, b) => a[1].first - b[1].first)
    .map(([streamId, v]) => ({ streamId, openedAt: v.first }));
  return { found: { sagaIds: open.map((o) => sagaIdOf(o.streamId)), lastPosition: after }, open };
}
