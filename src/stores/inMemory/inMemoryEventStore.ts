/**
 * The reference event store: everything in memory, exactly the port's semantics, no I/O.
 * For tests and for embedding where losing everything at exit is acceptable.
 */
import { StoreClosedError } from '../../core/errors.js';
import { checkAppend, conflictError } from '../appendCheck.js';
import {
  assertValidAppend,
  encodeEvents,
  assertValidStreamName,
  DEFAULT_MAX_EVENT_BYTES,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type Json,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '../eventStore.js';
import { ChangeSignal, startPollingSubscription, type EventPage, type PollingSubscription } from '../pollingSubscription.js';
import { createMemoryOpenStreams } from './memoryOpenStreams.js';
import { recordedAtNow } from '../recordedAt.js';

/** Options of {@link createInMemoryEventStore}. */
export interface InMemoryEventStoreOptions {
  /** Largest event (data + metadata as JSON, UTF-8 bytes). @default 1 MiB (DEFAULT_MAX_EVENT_BYTES) */
  maxEventBytes?: number;
}

/**
 * What is kept per event. Data and metadata are kept as JSON text and parsed on every read,
 * so a caller mutating what it appended or read cannot change the log, and values behave as
 * they would after a round trip through a real store (undefined dropped, dates as strings).
 */
interface StoredEvent {
  id: string;
  streamId: string;
  type: string;
  data: string;
  metadata: string;
  revision: number;
  position: number;
  recordedAt: string;
}

/**
 * Creates an empty in-memory store. Positions are 1, 2, 3, ... Subscriptions are woken by
 * appends (no timers), so an idle subscription does not keep the process alive.
 */
export function createInMemoryEventStore(options: InMemoryEventStoreOptions = {}): EventStore {
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  // all[i] has position i + 1: positions are dense, so `after` is also an index.
  const all: StoredEvent[] = [];
  const streams = new Map<string, StoredEvent[]>();
  const byId = new Map<string, StoredEvent>();
  const signal = new ChangeSignal();
  const subscriptions = new Set<PollingSubscription>();
  let closed = false;
  const openStreams = createMemoryOpenStreams(
    () => all.length,
    (streamId) => streams.get(streamId)?.at(-1)?.position,
  );

  const assertOpen = (): void => {
    if (closed) throw new StoreClosedError('The in-memory event store is closed.');
  };

  const append = async (streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> => {
    assertOpen();
    const encoded = encodeEvents(events);
    assertValidAppend(streamId, events, expected, maxEventBytes, encoded);
    const stream = streams.get(streamId) ?? [];
    const ids = events.map((event) => event.id);
    const check = checkAppend(streamId, ids, expected, {
      lastRevision: stream.length - 1,
      at: (revision) => stream[revision],
      revisionOf: (id) => {
        const found = byId.get(id);
        return found?.streamId === streamId ? found.revision : undefined;
      },
    });
    if (check.kind === 'idempotent') return check.result;
    // Ids are unique across the store, as in the SQL stores (their UNIQUE constraint).
    const reused = ids.find((id) => byId.has(id));
    if (reused) throw conflictError(streamId, expected, stream.length - 1, { reason: 'event_id_in_use', eventId: reused });
    const recordedAt = recordedAtNow();
    for (const [i, event] of events.entries()) {
      const stored: StoredEvent = {
        id: event.id,
        streamId,
        type: event.type,
        data: encoded[i]?.data ?? 'null',
        metadata: encoded[i]?.metadata ?? '{}',
        revision: check.firstRevision + i,
        position: all.length + 1,
        recordedAt,
      };
      all.push(stored);
      stream.push(stored);
      byId.set(stored.id, stored);
    }
    streams.set(streamId, stream);
    openStreams.applyAppend(streamId, events, all.length - events.length + 1);
    signal.notify();
    return { nextRevision: stream.length - 1, position: all.length };
  };

  const readStream = async (streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> => {
    assertOpen();
    assertValidStreamName(streamId);
    const stream = streams.get(streamId) ?? [];
    const max = options.maxCount ?? Infinity;
    const result: RecordedEvent[] = [];
    if (options.direction === 'backwards') {
      for (const stored of stream.slice(0, Math.max(0, Math.min(options.fromRevision ?? Infinity, stream.length - 1) + 1)).reverse()) {
        if (result.length >= max) break;
        result.push(toRecorded(stored));
      }
    } else {
      for (const stored of stream.slice(Math.max(options.fromRevision ?? 0, 0))) {
        if (result.length >= max) break;
        result.push(toRecorded(stored));
      }
    }
    return result;
  };

  const readPage = (options: ReadAllOptions): EventPage => {
    const max = options.maxCount ?? Infinity;
    const prefix = options.streamPrefix ?? '';
    const events: RecordedEvent[] = [];
    let index = Math.max(Math.floor(options.after ?? 0), 0);
    for (; index < all.length && events.length < max; index++) {
      const stored = all[index];
      if (stored?.streamId.startsWith(prefix)) events.push(toRecorded(stored));
    }
    return { events, scannedTo: index };
  };

  const readAll = async (options: ReadAllOptions = {}): Promise<RecordedEvent[]> => {
    assertOpen();
    return readPage(options).events;
  };

  const subscribeToAll = (options: SubscribeToAllOptions): Subscription => {
    assertOpen();
    const source = {
      signal,
      readPage: async (after: number, maxCount: number) => {
        assertOpen();
        return readPage({ after, maxCount, streamPrefix: options.streamPrefix });
      },
    };
    const sub = startPollingSubscription(source, options, (ended) => subscriptions.delete(ended));
    subscriptions.add(sub);
    return sub;
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const error = new StoreClosedError('The in-memory event store was closed.');
    await Promise.all([...subscriptions].map((sub) => sub.stop(error)));
  };

  return { kind: 'memory', append, readStream, readAll, subscribeToAll, close, openStreams };
}

function toRecorded(stored: StoredEvent): RecordedEvent {
  return {
    id: stored.id,
    streamId: stored.streamId,
    type: stored.type,
    data: JSON.parse(stored.data) as Json,
    metadata: JSON.parse(stored.metadata) as Record<string, Json>,
    revision: stored.revision,
    position: stored.position,
    recordedAt: stored.recordedAt,
  };
}
